"""`voiceops validate` as users run it: every problem at once, in file order, as text,
JSON or GitHub annotations, and with --lenient."""

from __future__ import annotations

import hashlib
import importlib.util
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from voiceops.cli import main
from voiceops.errors import InputErrors
from voiceops.spec.validation import load_project, validate

ROOT = Path(__file__).resolve().parent.parent
CONFIG = (ROOT / "voiceops.yaml").read_text(encoding="utf-8")

INTERACTLY = """\
apiVersion: voiceops/v1
kind: Assistant
metadata:
  name: {name}
provider: interactly-prod
id: "{id}"
spec:
  name: Case
"""
AUTOCALLS = """\
apiVersion: voiceops/v1
kind: Assistant
metadata:
  name: {name}
provider: autocalls-sales
id: {id}
spec:
  name: Case
"""


def interactly(name: str, id: str = "", extra: str = "") -> str:
    # Interactly ids are 24 hex digits; each name gets its own.
    default = hashlib.sha1(name.encode()).hexdigest()[:24]
    return INTERACTLY.format(name=name, id=id or default) + extra


def autocalls(name: str, id: int, extra: str = "") -> str:
    return AUTOCALLS.format(name=name, id=id) + extra


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "voiceops.yaml").write_text(CONFIG, encoding="utf-8")
    (tmp_path / "assistants").mkdir()
    monkeypatch.chdir(tmp_path)
    return tmp_path


def write(repo: Path, name: str, *documents: str) -> None:
    (repo / "assistants" / name).write_text("---\n".join(documents), encoding="utf-8")


def run(*args: str, github: bool = False) -> Result:
    env = {"GITHUB_ACTIONS": "true" if github else None}
    result = CliRunner().invoke(main, ["validate", *args], env=env)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    return result


def places(result: Result) -> list[str]:
    """`path:line:col` of each reported line on stderr, in order."""
    return [line.split(": ", 1)[0] for line in result.stderr.splitlines() if ": " in line]


def test_the_example_repository_is_valid(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    result = run()
    assert result.exit_code == 0, result.output
    assert result.stdout == "4 assistant document(s) valid.\n"
    assert result.stderr == ""


def test_every_error_in_every_document_of_every_file_is_reported(repo: Path) -> None:
    write(
        repo,
        "a.yaml",
        interactly("first", extra="  idleTimeout: 2\n  welcomeMesage: Hi\n"),
        interactly("second", extra="  backgroundSoundVolume: 500\n  maxCallDuration: 900\n"),
        interactly("third"),  # valid
    )
    write(
        repo,
        "b.yaml",
        autocalls("fourth", 1, "  type: receive\n  speech_speed: 2\n"),
        autocalls("Fifth", 2, "  max_duration: 5\n"),
    )
    result = run()
    assert result.exit_code == 1
    assert places(result) == [
        "assistants/a.yaml:9:16",  # idleTimeout 2 < 5
        "assistants/a.yaml:10:3",  # welcomeMesage
        "assistants/a.yaml:20:26",  # backgroundSoundVolume
        "assistants/a.yaml:21:20",  # maxCallDuration
        "assistants/b.yaml:9:9",  # type
        "assistants/b.yaml:10:17",  # speech_speed
        "assistants/b.yaml:15:9",  # metadata.name Fifth
        "assistants/b.yaml:20:17",  # max_duration
    ]
    assert result.stderr.splitlines()[-1] == "8 errors, 0 warnings."


def test_an_envelope_error_does_not_hide_the_errors_in_spec(repo: Path) -> None:
    write(repo, "a.yaml", interactly("Bad_Name", extra="  idleTimeout: 1\n"))
    assert places(run()) == ["assistants/a.yaml:4:9", "assistants/a.yaml:9:16"]


def test_diagnostics_come_in_file_line_column_order(repo: Path) -> None:
    # A malformed reference early in the spec, schema errors before and after it.
    extra = (
        "  idleTimeout: 1\n"
        "  welcomeMessage: Hi ${env:1X}\n"
        "  assistantServer:\n"
        "    secret: ${env:OK}\n"
        "  maxIdleMessagesInSequence: 9\n"
    )
    write(repo, "b.yaml", interactly("b", extra=extra))
    write(repo, "a.yaml", interactly("a", extra="  dtmfInputEnabled: 1\n"))
    result = run()
    assert places(result) == [
        "assistants/a.yaml:9:21",
        "assistants/b.yaml:9:16",
        "assistants/b.yaml:10:19",
        "assistants/b.yaml:13:30",
    ]
    assert "malformed environment reference '${env:1X}'" in result.stderr.splitlines()[2]


def test_a_value_that_fails_type_and_enum_is_reported_once(repo: Path) -> None:
    write(repo, "a.yaml", autocalls("a", 1, "  mode: 7\n"))
    result = run()
    assert result.stderr.splitlines() == [
        'assistants/a.yaml:9:9: spec.mode must be one of "pipeline", "multimodal", "dualplex", '
        "not an integer (7)",
        "1 error, 0 warnings.",
    ]


def test_an_unquoted_no_gets_a_hint_to_quote_it(repo: Path) -> None:
    write(repo, "a.yaml", interactly("a", extra="  welcomeMessageMode: no\n"))
    result = run()
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == (
        "assistants/a.yaml:9:23: spec.welcomeMessageMode must be one of "
        '"assistant-speaks-first", "assistant-waits-for-user", "automatic", not a boolean '
        '(false); YAML 1.1 read the unquoted no as false: write "no" in quotes if you meant '
        "the text"
    )


def test_a_number_in_octal_notation_is_accepted_with_a_warning(repo: Path) -> None:
    write(repo, "a.yaml", autocalls("a", 1, "  voice_id: 0755\n"))
    result = run()
    assert result.exit_code == 0
    assert result.stderr == (
        "assistants/a.yaml:9:13: warning: spec.voice_id is written 0755, which YAML 1.1 reads "
        'as the number 493; write 493 if you meant that, or "0755" in quotes for the text\n'
    )
    assert result.stdout == "1 assistant document(s) valid (1 warning).\n"


def test_paths_on_the_command_line_limit_what_is_checked(repo: Path) -> None:
    write(repo, "good.yaml", interactly("good"))
    write(repo, "bad.yaml", interactly("bad", extra="  idleTimeout: 1\n"))
    assert run("assistants/good.yaml").exit_code == 0
    assert run("assistants/bad.yaml").exit_code == 1
    missing = run("assistants/none.yaml")
    assert missing.exit_code == 1
    assert missing.stderr.startswith("error: assistants/none.yaml does not exist")


def test_a_trailing_document_separator_is_not_a_document(repo: Path) -> None:
    write(repo, "a.yaml", interactly("a"), interactly("b"), "")
    assert run().stdout == "2 assistant document(s) valid.\n"


# --- Autocalls field sets


def legacy_connection(repo: Path) -> None:
    config = (repo / "voiceops.yaml").read_text(encoding="utf-8")
    legacy = config.replace("    type: autocalls\n", "    type: autocalls\n    fields: legacy\n")
    assert legacy != config
    (repo / "voiceops.yaml").write_text(legacy, encoding="utf-8")


def test_a_legacy_field_names_its_current_counterpart_and_the_setting(repo: Path) -> None:
    write(repo, "a.yaml", autocalls("a", 1, "  max_call_duration: 900\n  llm_model: gpt-4o\n"))
    result = run()
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "assistants/a.yaml:9:3: 'max_call_duration' is the legacy name of 'max_duration'; "
        "write 'max_duration', or set fields: legacy on connection 'autocalls-sales'",
        "assistants/a.yaml:10:3: 'llm_model' is the legacy name of 'llm_model_id'; "
        "write 'llm_model_id', or set fields: legacy on connection 'autocalls-sales'",
        "2 errors, 0 warnings.",
    ]


def test_a_current_field_on_a_legacy_connection_names_its_legacy_counterpart(
    repo: Path,
) -> None:
    legacy_connection(repo)
    legacy_spec = autocalls("a", 1).replace("  name: Case\n", "  assistant_name: Case\n")
    write(repo, "a.yaml", legacy_spec + "  record: true\n  tools: []\n")
    result = run()
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "assistants/a.yaml:9:3: 'record' is the current name of 'record_call'; "
        "write 'record_call', or set fields: current on connection 'autocalls-sales'",
        "assistants/a.yaml:10:3: 'tools' belongs to the current field set, and connection "
        "'autocalls-sales' speaks the legacy one; remove it, or set fields: current on "
        "connection 'autocalls-sales'",
        "2 errors, 0 warnings.",
    ]
    write(repo, "a.yaml", legacy_spec + "  record_call: true\n")
    assert run().exit_code == 0


@pytest.mark.parametrize(
    ("extra", "place", "says"),
    [
        ("  initial_message: " + "x" * 201 + "\n", "9:20", "201 characters long; the limit is 200"),
        (
            "  mode: dualplex\n  knowledgebase_mode: prompt\n",
            "10:23",
            "knowledgebase_mode must be function_call in multimodal and dualplex modes",
        ),
        (
            "  mode: multimodal\n  allow_interruptions: false\n",
            "10:24",
            "allow_interruptions cannot be false in multimodal and dualplex modes",
        ),
        ("  mode: dualplex\n  fillers: true\n", "10:12", "fillers are available only in pipeline"),
        ("  max_silence_duration: 361\n", "9:25", "between 1 and 360"),
    ],
)
def test_the_current_limits_are_checked_offline(
    repo: Path, extra: str, place: str, says: str
) -> None:
    write(repo, "a.yaml", autocalls("a", 1, extra))
    result = run()
    assert result.exit_code == 1
    [line, summary] = result.stderr.splitlines()
    assert line.startswith(f"assistants/a.yaml:{place}: ")
    assert says in line
    assert summary == "1 error, 0 warnings."


# --- lenient mode

LENIENT_CASES = [
    autocalls("enum-one", 1, "  type: receive\n"),
    interactly("enum-two", extra="  assistantServer:\n    messages: [hang, call-ended]\n"),
]
STRICT_CASES = [
    autocalls("wrong-type", 3, "  type: 1\n"),  # type, with an enum too
    autocalls("out-of-range", 4, "  max_duration: 5\n"),
    autocalls("unknown-key", 5, "  max_durations: 600\n"),
]


@pytest.mark.parametrize("how", ["flag", "config"])
def test_lenient_turns_unknown_enum_values_into_warnings(repo: Path, how: str) -> None:
    write(repo, "a.yaml", *LENIENT_CASES)
    assert run().exit_code == 1  # not lenient: the same files fail
    if how == "config":
        (repo / "voiceops.yaml").write_text("lenient: true\n" + CONFIG, encoding="utf-8")
    result = run("--lenient") if how == "flag" else run()
    assert result.exit_code == 0, result.output
    lines = result.stderr.splitlines()
    assert lines == [
        'assistants/a.yaml:9:9: warning: spec.type is "receive", which is not one '
        'of "inbound", "outbound" (accepted in lenient mode)',
        'assistants/a.yaml:20:22: warning: spec.assistantServer.messages[1] is "call-ended", '
        'which is not one of "status-update", "conversation-update", "hang", '
        '"end-of-call-report", "error" (accepted in lenient mode)',
    ]
    assert result.stdout == "2 assistant document(s) valid (2 warnings).\n"


@pytest.mark.parametrize("how", ["flag", "config"])
def test_lenient_keeps_types_ranges_and_unknown_keys_errors(repo: Path, how: str) -> None:
    write(repo, "a.yaml", *LENIENT_CASES, *STRICT_CASES)
    if how == "config":
        (repo / "voiceops.yaml").write_text("lenient: true\n" + CONFIG, encoding="utf-8")
    result = run("--lenient") if how == "flag" else run()
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert [line.split(": ", 2)[1] for line in lines[:-1]] == [
        "warning",
        "warning",
        'spec.type must be one of "inbound", "outbound", not an integer (1)',
        "spec.max_duration is 5, but it must be between 20 and 1200",
        "unknown field 'max_durations' in spec; did you mean 'max_duration'?",
    ]
    assert lines[-1] == "3 errors, 2 warnings."


# --- output formats


def test_json_output(repo: Path) -> None:
    write(repo, "a.yaml", interactly("a", extra="  maxCallDuration: 900\n"), interactly("b"))
    result = run("--format", "json")
    assert result.exit_code == 1
    assert result.stderr == ""
    report = json.loads(result.stdout)
    assert report["format_version"] == 1
    assert report["valid"] is False
    assert report["documents"] == 2
    [item] = report["diagnostics"]
    assert set(item) == {
        "severity",
        "path",
        "line",
        "col",
        "message",
        "environment",
        "environments",
    }
    # Without environments in voiceops.yaml, a finding belongs to none.
    assert (item["environment"], item["environments"]) == (None, [])
    assert item["severity"] == "error"
    assert (item["path"], item["line"], item["col"]) == ("assistants/a.yaml", 9, 20)
    assert item["message"].startswith("spec.maxCallDuration is 900, but it must be between 1")


def test_json_output_when_valid_and_for_a_problem_without_a_file(
    repo: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    write(repo, "a.yaml", interactly("a"))
    assert json.loads(run("--format", "json").stdout) == {
        "format_version": 1,
        "valid": True,
        "documents": 1,
        "diagnostics": [],
        "write_only_record": ".voiceops/write-only.json",
        "assistants": "assistants",
        "environments": [],
    }
    result = run("--format", "json", "--config", "missing.yaml")
    report = json.loads(result.stdout)
    assert result.exit_code == 1
    assert report["diagnostics"][0]["path"] is None
    assert report["diagnostics"][0]["line"] is None
    assert report["write_only_record"] is None
    assert report["assistants"] is None


def test_github_annotations(repo: Path) -> None:
    write(repo, "a.yaml", autocalls("a", 1, "  type: receive\n  speech_speed: 2\n"))
    result = run("--lenient", github=True)
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [
        '::warning file=assistants/a.yaml,line=9,col=9::spec.type is "receive", '
        'which is not one of "inbound", "outbound" (accepted in lenient mode)',
        "::error file=assistants/a.yaml,line=10,col=17::spec.speech_speed is 2, but it must be "
        "between 0.7 and 1.2",
    ]
    assert "assistants/a.yaml:10:17: spec.speech_speed is 2" in result.stderr


def test_github_annotations_escape_what_the_runner_would_misread(repo: Path) -> None:
    write(repo, "a,b.yaml", interactly("a", extra="  welcomeMessage: 100%\n  idleTimeout: 1\n"))
    result = run(github=True)
    assert "::error file=assistants/a%2Cb.yaml,line=10,col=16::" in result.stdout


def test_github_annotations_leave_json_output_parseable(repo: Path) -> None:
    write(repo, "a.yaml", autocalls("a", 1, "  speech_speed: 2\n"))
    result = run("--format", "json", github=True)
    assert json.loads(result.stdout)["valid"] is False
    assert result.stderr.startswith("::error file=assistants/a.yaml,line=9,col=17::")


# --- the library entry points


def test_validate_never_raises_for_user_mistakes(repo: Path) -> None:
    (repo / "voiceops.yaml").write_text("providers: {x: {type: vapi}}\n", encoding="utf-8")
    report = validate([], None)
    assert not report.ok
    assert [str(d) for d in report.diagnostics] == [
        "voiceops.yaml:1:23: connection 'x' has unknown type 'vapi'; "
        "use one of: interactly, edmo, invent, autocalls"
    ]


def test_load_project_raises_every_error_in_file_order(repo: Path) -> None:
    write(repo, "b.yaml", interactly("b", extra="  idleTimeout: 1\n"))
    write(repo, "a.yaml", interactly("a", extra="  idleTimeout: 1\n"))
    with pytest.raises(InputErrors) as caught:
        load_project(None)
    assert [str(d.location) for d in caught.value.diagnostics] == [
        "assistants/a.yaml:9:16",
        "assistants/b.yaml:9:16",
    ]


def test_load_project_gives_specs_that_know_where_they_came_from(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    shutil.copytree(ROOT / "assistants", tmp_path / "assistants")
    (tmp_path / "voiceops.yaml").write_text(CONFIG, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    project = load_project(None, targets=("clinic-intake",))
    [spec] = project.specs
    assert (spec.connection, spec.id) == ("interactly-prod", "5f7b1b1b1b1b1b1b1b1b1b1b")
    assert (
        str(spec.location(("assistantServer", "secret"))) == "assistants/clinic-intake.yaml:54:13"
    )


def test_the_benchmark_generates_valid_specs_for_every_vendor(tmp_path: Path) -> None:
    spec = importlib.util.spec_from_file_location(
        "bench", ROOT / "benchmarks" / "bench_validate.py"
    )
    assert spec is not None
    assert spec.loader is not None
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    bench.write_repository(tmp_path, count=40, per_file=10)
    report = validate([], tmp_path / "voiceops.yaml")
    assert report.diagnostics == []
    assert report.documents == 40


def test_an_invent_org_id_out_of_its_pattern_is_told_in_words(repo: Path) -> None:
    config = (repo / "voiceops.yaml").read_text(encoding="utf-8")
    (repo / "voiceops.yaml").write_text(config.replace("org_id: c", "org_id: my org"), "utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "voiceops", "validate"], capture_output=True, text=True, check=False
    )
    assert done.returncode == 1
    assert 'org_id is "my org"; it must use only letters, digits, underscores and hyphens' in (
        done.stderr
    )
    assert "(?!" not in done.stderr
