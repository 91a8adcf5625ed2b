"""The pieces of `voiceops ci` that need no git and no sandbox: the comment and issue
bodies, the job summaries, and `voiceops init` writing and upgrading the workflows."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from voiceops import __version__
from voiceops.render import ci_report
from voiceops.render.markdown import CHANGES_MARKER, MARKER

REPORT = f"{MARKER}\n## voiceops plan\n\n| to update |\n|---:|\n| 1 |\n"


def test_a_plan_body_without_environments_has_one_marker() -> None:
    body = ci_report.report_body("voiceops plan", REPORT, None, 2, "")
    assert body == REPORT
    assert ci_report.environment_marker(None) == MARKER


def test_a_plan_body_of_an_environment_is_marked_and_headed() -> None:
    body = ci_report.report_body("voiceops plan", REPORT, "staging", 0, "")
    assert body.startswith(
        f"{MARKER}\n<!-- voiceops:env:staging -->\n## Environment `staging`\n\n## voiceops plan"
    )
    assert body.count(MARKER) == 1


def test_a_failure_keeps_the_report_and_quotes_the_end_of_the_log() -> None:
    log = "".join(f"line {n}\n" for n in range(100)) + "::error::hidden\n" + "x" * 900 + "\n"
    body = ci_report.report_body("voiceops plan", REPORT, "production", 1, log)
    assert "| to update |" in body
    assert "### ❌ voiceops plan failed in production (exit 1)" in body
    assert "line 99" in body
    assert "line 30\n" not in body  # only the last lines
    assert "::error::" not in body
    assert "x" * 401 not in body


def test_a_log_cannot_close_the_fence_it_is_quoted_in() -> None:
    excerpt = ci_report.log_excerpt("before\n````\n# injected heading\n")
    assert excerpt.count("````") == 2


def test_a_body_over_githubs_limit_is_cut_and_says_so() -> None:
    body = ci_report.report_body("voiceops plan", REPORT + "x" * 100_000, None, 2, "")
    assert len(body) <= ci_report.BODY_LIMIT
    assert body.endswith("the whole report is in the job summary.\n")


def test_drift_state() -> None:
    assert ci_report.drift_state(2, "") == "found"
    assert ci_report.drift_state(1, f"{MARKER}\n{CHANGES_MARKER}\n") == "found"
    assert ci_report.drift_state(0, MARKER) == "none"
    assert ci_report.drift_state(1, MARKER) == ""


def test_the_publish_summary_keeps_the_conflicts_created_ids() -> None:
    summary = ci_report.publish_summary("trunk", "0123456789abcdef", True, ["id 'a1' `kept`"])
    assert "Pushed 0123456789ab." in summary
    assert "- id 'a1' 'kept'" in summary


def voiceops(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "voiceops", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_init_writes_workflows_that_install_this_version(tmp_path: Path) -> None:
    assert voiceops("init", cwd=tmp_path).returncode == 0
    for name in ("plan.yml", "apply.yml", "drift.yml"):
        text = (tmp_path / ".github" / "workflows" / name).read_text(encoding="utf-8")
        assert f"'voiceops-gitops=={__version__}'" in text, name


def test_init_upgrade_rewrites_only_schemas_and_workflows(tmp_path: Path) -> None:
    assert voiceops("init", cwd=tmp_path).returncode == 0
    workflow = tmp_path / ".github" / "workflows" / "apply.yml"
    workflow.write_text(workflow.read_text("utf-8").replace(__version__, "0.0.1"), encoding="utf-8")
    schema = next((tmp_path / "schemas").glob("*.json"))
    schema.unlink()
    config, spec = tmp_path / "voiceops.yaml", tmp_path / "assistants" / "sales-outreach.yaml"
    config.write_text("# mine\n", encoding="utf-8")
    spec.write_text("# mine too\n", encoding="utf-8")

    upgraded = voiceops("init", "--upgrade", cwd=tmp_path)
    assert upgraded.returncode == 0, upgraded.stderr
    assert f"Upgraded 2 files to voiceops {__version__}:" in upgraded.stdout
    assert "  updated: .github/workflows/apply.yml" in upgraded.stdout
    assert f"  added: schemas/{schema.name}" in upgraded.stdout
    assert f"'voiceops-gitops=={__version__}'" in workflow.read_text("utf-8")
    assert schema.is_file()
    assert config.read_text("utf-8") == "# mine\n"
    assert spec.read_text("utf-8") == "# mine too\n"

    again = voiceops("init", "--upgrade", cwd=tmp_path)
    assert again.returncode == 0
    assert "already" in again.stdout


def test_init_upgrade_outside_a_voiceops_repository_is_one_sentence(tmp_path: Path) -> None:
    result = voiceops("init", "--upgrade", cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr == ("error: . has no voiceops.yaml to upgrade; run voiceops init\n")
    assert not any(tmp_path.iterdir())


def test_validate_gets_only_the_flags_it_defines() -> None:
    from voiceops.cli.ci import flags_for
    from voiceops.cli.validate import validate

    words = [
        "--concurrency", "4", "--config", "deploy/voiceops.yaml", "--sandbox",
        "--lock-timeout=5m", "--target", "clinic-intake", "--lenient", "--connection", "ac",
        "--no-color",
    ]  # fmt: skip
    kept = flags_for(validate, words)
    assert kept == ["--config", "deploy/voiceops.yaml", "--lenient", "--no-color"]
    # An option no command defines stays, for validate to refuse it by name.
    assert flags_for(validate, ["--bogus", "--config=x.yaml"]) == ["--bogus", "--config=x.yaml"]
