from __future__ import annotations

import importlib
import socket

import pytest
import yaml
from click.testing import CliRunner

from voiceops.cli import main
from voiceops.cli.hooks import RunHooks
from voiceops.sandbox import Sandbox
from voiceops.sandbox.standins import STAND_INS

# The package exports the command under the module's own name.
sandbox_cli = importlib.import_module("voiceops.cli.sandbox")

# connection name -> (vendor, settings besides type and base_url), as the stand-ins declare.
CONNECTIONS = {s.connection[0]: (s.name, s.connection[1]) for s in STAND_INS}


def _check_block(text: str, sb: Sandbox) -> None:
    block, _, exports = text.partition("\n\n")
    providers = yaml.safe_load(block)["providers"]
    assert set(providers) == set(CONNECTIONS)
    # One spelled out, as the day-one walkthrough in docs/ shows it.
    assert providers["interactly-prod"]["token_env"] == "INTERACTLY_API_KEY"
    for name, (vendor, settings) in CONNECTIONS.items():
        assert providers[name] == {"type": vendor, "base_url": sb.base_urls[vendor], **settings}
    lines = [line for line in exports.splitlines() if line]
    assert lines == [f"export {k}={v}" for k, v in sb.credentials.items()]


def test_config_yaml_is_a_ready_providers_block(sb: Sandbox) -> None:
    _check_block(sb.config_yaml(), sb)


def test_banner_contains_the_block(sb: Sandbox) -> None:
    banner = sandbox_cli.render_banner(sb)
    assert sb.config_yaml() in banner
    exports = [line for line in banner.splitlines() if line.startswith("export ")]
    assert len(exports) == len(sb.credentials)


def test_base_urls_exist_only_while_serving() -> None:
    sb = Sandbox()
    with pytest.raises(RuntimeError):
        _ = sb.base_urls
    with sb.serve() as base_url:
        assert sb.base_urls["edmo"] == f"{base_url}/edmo"
        assert base_url.startswith("http://127.0.0.1:")
    with pytest.raises(RuntimeError):
        _ = sb.base_urls


def test_serving_twice_in_a_row() -> None:
    sb = Sandbox()
    for _ in range(2):
        with sb.serve():
            pass
    with sb.serve(), pytest.raises(RuntimeError), sb.serve():
        pass


def _interrupt() -> None:
    raise KeyboardInterrupt


# The command returns as if Ctrl-C came right after the banner.
NO_WAIT = RunHooks(wait_for_interrupt=_interrupt)


def test_command_prints_the_block_and_stops_on_ctrl_c() -> None:
    args = ["sandbox", "--port", "0", "--fault-rate", "0.1"]
    result = CliRunner().invoke(main, args, obj=NO_WAIT)
    assert result.exit_code == 0, result.output
    assert "providers:\n  interactly-prod:\n    type: interactly" in result.output
    assert "base_url: http://127.0.0.1:" in result.output
    assert "export INTERACTLY_API_KEY=sandbox-interactly-key" in result.output


@pytest.mark.parametrize(
    ("flag", "shown"), [([], None), (["--autocalls-fields", "legacy"], "legacy")]
)
def test_the_autocalls_field_set_is_an_option_the_block_carries(
    flag: list[str], shown: str | None
) -> None:
    result = CliRunner().invoke(main, ["sandbox", "--port", "0", *flag], obj=NO_WAIT)
    assert result.exit_code == 0, result.output
    block = result.output.split("\n\n")[1]
    providers = yaml.safe_load(block)["providers"]
    assert providers["autocalls-sales"].get("fields") == shown


def test_command_reports_a_busy_port() -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = CliRunner().invoke(main, ["sandbox", "--port", str(port)], obj=NO_WAIT)
    assert result.exit_code == 1
    assert f"cannot listen on 127.0.0.1:{port}" in result.output
    assert "Traceback" not in result.output


def test_command_rejects_bad_options() -> None:
    assert CliRunner().invoke(main, ["sandbox", "--fault-rate", "2"]).exit_code == 1
    assert CliRunner().invoke(main, ["sandbox", "--login-ttl", "0"]).exit_code == 1
    assert CliRunner().invoke(main, ["sandbox", "--autocalls-fields", "old"]).exit_code == 1


def test_help_lists_the_command() -> None:
    result = CliRunner().invoke(main, ["sandbox", "--help"])
    assert result.exit_code == 0
    for option in ("--port", "--latency-ms", "--jitter-ms", "--fault-rate", "--seed", "--state"):
        assert option in result.output
