"""Fixtures shared by the integration tests: a real sandbox server on 127.0.0.1 and a
copy of the example repository pointed at it."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner, Result

from voiceops.cli import main
from voiceops.cli.hooks import RunHooks
from voiceops.sandbox import Sandbox, SandboxOptions

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    """The vendor stand-ins, served for real on a free loopback port."""
    sb = Sandbox(SandboxOptions(seed=1))
    with sb.serve(port=0):
        yield sb


@dataclass
class Workspace:
    """A copy of the example repository whose connections point at the sandbox."""

    root: Path
    sandbox: Sandbox
    env: dict[str, str] = field(default_factory=dict)
    # Handed to every `run` as click's obj (e.g. quicker retries).
    hooks: RunHooks | None = None

    @property
    def config(self) -> Path:
        return self.root / "voiceops.yaml"

    def run(self, *args: str, env: dict[str, str] | None = None) -> Result:
        """The real `voiceops` command, in-process, with this workspace's config."""
        command, *rest = args
        # The values `${env:NAME}` references can take stay out of the sandbox's request log.
        self.sandbox.mask({**self.env, **(env or {})}.values())
        runner = CliRunner()
        return runner.invoke(
            main,
            [command, "--config", str(self.config), *rest],
            env={**self.env, **(env or {})},
            catch_exceptions=False,
            obj=self.hooks,
        )

    def spec_file(self, name: str) -> Path:
        return self.root / "assistants" / f"{name}.yaml"

    def edit_spec(self, name: str, **fields: object) -> None:
        """Set (or, with None, remove) top-level fields of an example's spec."""
        path = self.spec_file(name)
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
        for key, value in fields.items():
            if value is None:
                document["spec"].pop(key, None)
            else:
                document["spec"][key] = value
        path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")


def example_repository(root: Path, base_url: Callable[[str], str]) -> Path:
    """A copy of the example repository in `root`, each connection pointed at
    `base_url(vendor type)`."""
    root.mkdir()
    shutil.copytree(REPO / "assistants", root / "assistants")
    shutil.copytree(REPO / "schemas", root / "schemas")
    config = yaml.safe_load((REPO / "voiceops.yaml").read_text(encoding="utf-8"))
    # The example rules forbid values tests set on purpose (a webhook elsewhere); tests of
    # policies add their own, and tests/test_policies.py checks the example ones.
    config.pop("policies", None)
    for connection in config["providers"].values():
        connection["base_url"] = base_url(connection["type"])
    (root / "voiceops.yaml").write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    return root


@pytest.fixture
def workspace(tmp_path: Path, sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch) -> Workspace:
    root = example_repository(tmp_path / "repo", lambda vendor: sandbox.base_urls[vendor])
    monkeypatch.chdir(root)
    return Workspace(root, sandbox, env=dict(sandbox.credentials))
