"""`voiceops init` and the exit codes, through the real `voiceops` command in a subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from voiceops.live.providers import PROVIDER_TYPES

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
VOICEOPS = BIN / "voiceops"


def voiceops(
    *args: str, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess:
    environment = {
        k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "VOICEOPS_"))
    }
    environment.update(PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}", **(env or {}))
    return subprocess.run(
        [str(VOICEOPS), *args],
        cwd=cwd,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture(autouse=True)
def _installed() -> None:
    if not VOICEOPS.exists():
        pytest.skip("the voiceops command is not installed (pip install -e .)")


def assert_one_error_line(result: subprocess.CompletedProcess, *, summary: bool = False) -> str:
    """Exit 1 and one `error:` line on stderr (plus validate's count line, with `summary`)."""
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 + summary, result.stderr
    assert lines[0].startswith("error: "), lines[0]
    return lines[0]


def test_init_validate_and_sandbox_plan_work_in_an_empty_folder(tmp_path: Path) -> None:
    init = voiceops("init", cwd=tmp_path)
    assert init.returncode == 0, init.stderr
    for relative in (
        "voiceops.yaml",
        "schemas/assistant.schema.json",
        "schemas/voiceops-config.schema.json",
        ".github/workflows/plan.yml",
        ".github/workflows/apply.yml",
        ".github/workflows/drift.yml",
    ):
        assert (tmp_path / relative).is_file(), relative
    # One example document per vendor.
    documents = "".join(p.read_text() for p in (tmp_path / "assistants").glob("*.yaml"))
    for connection in ("interactly-prod", "edmo-main", "invent-support", "autocalls-sales"):
        assert f"provider: {connection}" in documents
    # The $schema modelines resolve inside the new repository.
    for spec in (tmp_path / "assistants").glob("*.yaml"):
        first = spec.read_text().splitlines()[0]
        assert first.startswith("# yaml-language-server: $schema=")
        assert (spec.parent / first.split("=", 1)[1]).resolve().is_file()
    assert voiceops("validate", cwd=tmp_path).returncode == 0
    plan = voiceops("plan", "--sandbox", "--detailed-exitcode", cwd=tmp_path)
    assert plan.returncode == 2, plan.stderr
    assert "to update" in plan.stdout


def test_init_config_comments_every_vendor(tmp_path: Path) -> None:
    voiceops("init", cwd=tmp_path)
    config = (tmp_path / "voiceops.yaml").read_text()
    for vendor in PROVIDER_TYPES:
        assert f"type: {vendor}" in config
    assert config.count("#") >= 8


def test_init_into_a_named_directory(tmp_path: Path) -> None:
    result = voiceops("init", "new-repo", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "new-repo" / "voiceops.yaml").is_file()
    assert "cd new-repo" in result.stdout


def test_init_refuses_to_overwrite_without_force(tmp_path: Path) -> None:
    (tmp_path / "voiceops.yaml").write_text("# mine\n")
    line = assert_one_error_line(voiceops("init", cwd=tmp_path))
    assert "voiceops.yaml" in line
    assert "--force" in line
    assert (tmp_path / "voiceops.yaml").read_text() == "# mine\n"
    assert not (tmp_path / "assistants").exists(), "nothing is written when one file exists"
    assert voiceops("init", "--force", cwd=tmp_path).returncode == 0
    assert "type: interactly" in (tmp_path / "voiceops.yaml").read_text()


def test_init_into_a_file_is_one_sentence(tmp_path: Path) -> None:
    (tmp_path / "taken").write_text("")
    line = assert_one_error_line(voiceops("init", "taken", cwd=tmp_path))
    assert "not a directory" in line


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("plan", "--bogus"), "no such option --bogus"),
        (("plan", "--targte", "x"), "did you mean --target?"),
        (("apply", "missing-plan.json"), "missing-plan.json"),
        (("import",), "missing option '--provider'"),
        (("import", "--provider"), "see 'voiceops import --help'"),
        (("frobnicate",), "no such command"),
        (("valdate",), "no such command 'valdate' (did you mean 'validate'?); see"),
        (("plan", "--format", "yaml"), "--format"),
    ],
)
def test_usage_mistakes_exit_1_with_one_sentence(
    tmp_path: Path, args: tuple[str, ...], expected: str
) -> None:
    line = assert_one_error_line(voiceops(*args, cwd=tmp_path))
    assert expected in line.lower()
    assert "--help" in line


def test_help_and_version_exit_0(tmp_path: Path) -> None:
    assert voiceops("--help", cwd=tmp_path).returncode == 0
    assert voiceops("plan", "--help", cwd=tmp_path).returncode == 0
    version = voiceops("--version", cwd=tmp_path)
    assert version.returncode == 0
    assert "voiceops" in version.stdout


def test_errors_without_a_file_start_with_error(tmp_path: Path) -> None:
    for command in ("validate", "plan", "drift"):
        result = voiceops(command, cwd=tmp_path)
        line = assert_one_error_line(result, summary=command == "validate")
        assert "no voiceops.yaml" in line
        assert "voiceops init" in line


def test_only_changes_exit_2(tmp_path: Path) -> None:
    voiceops("init", cwd=tmp_path)
    assert voiceops("plan", "--sandbox", cwd=tmp_path).returncode == 0
    assert voiceops("plan", "--sandbox", "--detailed-exitcode", cwd=tmp_path).returncode == 2
    assert voiceops("drift", "--sandbox", cwd=tmp_path).returncode == 2
    (tmp_path / "assistants" / "clinic-intake.yaml").write_text("spec: [\n")
    bad = voiceops("plan", "--sandbox", "--detailed-exitcode", cwd=tmp_path)
    assert bad.returncode == 1


def test_plain_voiceops_shows_the_help(tmp_path: Path) -> None:
    result = voiceops(cwd=tmp_path)
    assert result.returncode == 0
    assert result.stdout.startswith("Usage: voiceops")
    assert "Commands:" in result.stdout
    assert not result.stderr


def test_a_reader_that_goes_away_is_no_bug(tmp_path: Path) -> None:
    result = subprocess.run(
        ["bash", "-o", "pipefail", "-c", f"'{VOICEOPS}' init repo | head -c 1"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert "internal error" not in result.stderr
    assert "Traceback" not in result.stderr
    assert (tmp_path / "repo" / "voiceops.yaml").is_file()


def test_init_keeps_the_record_lock_out_of_git(tmp_path: Path) -> None:
    (tmp_path / ".gitignore").write_text("node_modules")
    assert voiceops("init", cwd=tmp_path).returncode == 0
    assert (tmp_path / ".gitignore").read_text() == "node_modules\n.voiceops/**/*.lock\n"
    assert voiceops("init", "--force", cwd=tmp_path).returncode == 0
    assert (tmp_path / ".gitignore").read_text().count(".voiceops/**/*.lock") == 1


@pytest.mark.parametrize("content", ["", "{"])
def test_a_sandbox_state_file_that_is_no_state_is_one_sentence(
    tmp_path: Path, content: str
) -> None:
    (tmp_path / "state.json").write_text(content)
    line = assert_one_error_line(
        voiceops("sandbox", "--port", "0", "--state", "state.json", cwd=tmp_path)
    )
    assert "cannot load the sandbox state from state.json" in line


def test_validate_init_and_sandbox_take_no_color(tmp_path: Path) -> None:
    assert voiceops("init", "--no-color", cwd=tmp_path).returncode == 0
    assert voiceops("validate", "--no-color", cwd=tmp_path).returncode == 0
    assert voiceops("sandbox", "--no-color", "--help", cwd=tmp_path).returncode == 0


def test_target_suggests_the_name_it_starts(tmp_path: Path) -> None:
    voiceops("init", cwd=tmp_path)
    line = assert_one_error_line(voiceops("plan", "--sandbox", "--target", "sales", cwd=tmp_path))
    assert line == "error: no assistant is named 'sales' (did you mean 'sales-outreach'?)"
    assert voiceops("plan", "--sandbox", "--out", "p.json", cwd=tmp_path).returncode == 0
    line = assert_one_error_line(
        voiceops("apply", "p.json", "--sandbox", "--target", "clinic-intak", cwd=tmp_path)
    )
    assert line.endswith("holds no assistant 'clinic-intak' (did you mean 'clinic-intake'?)")


def test_an_empty_assistants_directory_says_so(tmp_path: Path) -> None:
    voiceops("init", cwd=tmp_path)
    for spec in (tmp_path / "assistants").glob("*.yaml"):
        spec.unlink()
    for args in (("validate",), ("plan", "--sandbox")):
        result = voiceops(*args, cwd=tmp_path)
        assert result.returncode == 0, result.stderr
        assert "warning: assistants holds no assistant documents yet" in result.stderr
        assert "voiceops import" in result.stderr


@pytest.mark.parametrize("kind", ["directory", "not-utf8"])
def test_a_gitignore_init_cannot_read_stops_it_before_any_write(tmp_path: Path, kind: str) -> None:
    gitignore = tmp_path / ".gitignore"
    if kind == "directory":
        gitignore.mkdir()
    else:
        gitignore.write_bytes(b"\xff\xfe")
    line = assert_one_error_line(voiceops("init", cwd=tmp_path))
    assert ".gitignore" in line
    assert "nothing was written" in line
    assert sorted(p.name for p in tmp_path.iterdir()) == [".gitignore"]


def test_a_sandbox_switch_that_is_no_boolean_is_one_sentence(tmp_path: Path) -> None:
    voiceops("init", cwd=tmp_path)
    line = assert_one_error_line(voiceops("plan", cwd=tmp_path, env={"VOICEOPS_SANDBOX": "maybe"}))
    assert "'maybe' is not a valid boolean" in line


@pytest.mark.parametrize("listed", ["/.voiceops/**/*.lock", "  .voiceops/**/*.lock  "])
def test_init_sees_the_lock_line_anchored_or_indented(tmp_path: Path, listed: str) -> None:
    (tmp_path / ".gitignore").write_text(f"dist/\n{listed}\n")
    assert voiceops("init", cwd=tmp_path).returncode == 0
    assert (tmp_path / ".gitignore").read_text() == f"dist/\n{listed}\n"
