"""`voiceops ci …`: the steps of the GitHub workflows `voiceops init` writes, so that the
workflows stay a list of steps and their logic is here, typed and tested.

Each step runs voiceops itself (this interpreter, `-m voiceops`) with the options in
VOICEOPS_FLAGS, and talks to the runner through its files: GITHUB_OUTPUT (step outputs),
GITHUB_STEP_SUMMARY (the job summary) and RUNNER_TEMP (reports the next step posts).
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
import tempfile
from collections.abc import Mapping
from contextlib import AbstractContextManager
from pathlib import Path

import click

from voiceops.cli.apply import apply
from voiceops.cli.common import (
    chosen_environment,
    env_option,
    reports_errors,
    run_lock,
    safe_output,
)
from voiceops.cli.plan import plan
from voiceops.cli.validate import validate
from voiceops.errors import VoiceopsError
from voiceops.exitcodes import ExitCode
from voiceops.reconcile.gitrepo import GitRepo
from voiceops.reconcile.publish import Places, catch_up, publish
from voiceops.render import ci_report

flags_option = click.option(
    "--flags",
    envvar="VOICEOPS_FLAGS",
    default="",
    show_default=False,
    help="Options for every voiceops call, e.g. '--config deploy/voiceops.yaml' "
    "(also: VOICEOPS_FLAGS).",
)
# The GitHub environment plan and drift of production run in: it holds production's
# credentials but no reviewers, so reading does not wait for an approval.
READ_SUFFIX = "-read"


@click.group()
def ci() -> None:
    """The steps of the GitHub workflows (plan, apply, drift)."""


def _voiceops(args: list[str], flags: str, *, env: str | None = None) -> list[str]:
    scope = ["--env", env] if env else []
    words = shlex.split(flags)
    if args[0] == "validate":
        words = flags_for(validate, words)
    return [sys.executable, "-m", "voiceops", *args, *scope, *words]


def flags_for(command: click.Command, words: list[str]) -> list[str]:
    """The options among `words` that `command` defines, with their values: VOICEOPS_FLAGS
    serves every step, and `validate` has none of the run options (--concurrency, --sandbox,
    --lock-timeout, --target, --connection). An option no voiceops command knows is kept,
    for the command to refuse it by name."""
    kept: list[str] = []
    rest = iter(words)
    for word in rest:
        name = word.split("=", 1)[0]
        option = _option(command, name)
        known = option or _option(apply, name) or _option(plan, name)
        takes_value = known is not None and not known.is_flag and "=" not in word
        value = [next(rest, "")] if takes_value else []
        if option is not None or known is None:
            kept += [word, *value]
    return kept


def _option(command: click.Command, name: str) -> click.Option | None:
    if not name.startswith("-"):
        return None
    for param in command.params:
        if isinstance(param, click.Option) and name in (*param.opts, *param.secondary_opts):
            return param
    return None


def _capture(command: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, capture_output=True, text=True, check=False)


def _output(**values: str) -> None:
    """Step outputs, for later steps and jobs."""
    target = os.environ.get("GITHUB_OUTPUT")
    if target:
        with open(target, "a", encoding="utf-8") as handle:
            handle.writelines(f"{key}={value}\n" for key, value in values.items())


def _summary(markdown: str) -> None:
    target = os.environ.get("GITHUB_STEP_SUMMARY")
    if target:
        with open(target, "a", encoding="utf-8") as handle:
            handle.write(markdown)


def _temp_file(name: str, text: str) -> Path:
    directory = Path(os.environ.get("RUNNER_TEMP") or tempfile.gettempdir())
    path = directory / name
    path.write_text(text, encoding="utf-8")
    return path


def _validated(flags: str, env: str | None = None) -> dict[str, object]:
    """`voiceops validate --format json`'s report; one sentence when it has none."""
    done = _capture(_voiceops(["validate", "--format", "json"], flags, env=env))
    try:
        report = json.loads(done.stdout)
    except ValueError:
        report = None
    if not isinstance(report, dict):
        raise VoiceopsError(
            "voiceops validate could not read the settings; check VOICEOPS_FLAGS and "
            f"voiceops.yaml ({_last_line(done.stderr)})"
        )
    return report


def _last_line(text: str) -> str:
    lines = text.strip().splitlines()
    return lines[-1] if lines else "no message"


def _jobs(flags: str, staging: str, production: str, *, applying: bool) -> dict[str, str]:
    """The environments the jobs apply (`applying`: both must exist), plan and check, and
    the GitHub environment of each (whose secrets are that environment's credentials)."""
    found = _validated(flags).get("environments")
    listed = [str(name) for name in found] if isinstance(found, list) else []
    pair = (staging, production) if applying and listed else ()
    missing = [name for name in pair if name not in listed]
    if missing:
        raise VoiceopsError(
            f"voiceops.yaml defines the environments {', '.join(listed)} but not "
            f"{missing[0]}; define it, or set STAGING_ENVIRONMENT and PRODUCTION_ENVIRONMENT "
            "in the workflow to the names you use"
        )
    matrix = [
        {"env": name, "github": name + READ_SUFFIX if name == production else name}
        for name in listed
    ] or [{"env": "", "github": production + READ_SUFFIX}]
    return {
        "staging": staging if listed else "",
        "production": production if listed else "",
        "apply_in": staging if listed else production,
        "matrix": json.dumps(matrix),
    }


staging_option = click.option(
    "--staging", envvar="STAGING_ENVIRONMENT", default="staging", show_default=True
)
production_option = click.option(
    "--production", envvar="PRODUCTION_ENVIRONMENT", default="production", show_default=True
)


@ci.command()
@staging_option
@production_option
@click.option("--apply", "applying", is_flag=True, help="Refuse unless both are defined.")
@flags_option
@reports_errors
def environments(staging: str, production: str, applying: bool, flags: str) -> None:
    """Which environments the jobs apply, plan and check, and in which GitHub environment.

    Outputs `staging` and `production` (empty without environments: everything is applied
    once, in the GitHub environment `production`), `apply_in` (the GitHub environment of
    the first apply job) and `matrix` (plan and drift: one entry per environment, production
    read in `production-read`)."""
    jobs = _jobs(flags, staging, production, applying=applying)
    _output(**jobs)
    then = f", then {jobs['production']}" if jobs["production"] else ""
    click.echo(f"Applying {jobs['apply_in']}{then}.")


@ci.command(name="validate")
@staging_option
@production_option
@flags_option
@reports_errors
def validate_step(staging: str, production: str, flags: str) -> None:
    """`voiceops validate` (errors as annotations), its verdict in the job summary, and the
    plan jobs' `matrix`. Pull requests from forks and Dependabot get no secrets: the summary
    says why they are not planned."""
    code = subprocess.run(_voiceops(["validate"], flags), check=False).returncode
    lines = ["### voiceops validate", ""]
    lines.append(
        "All assistant specs are valid."
        if code == 0
        else f"The assistant specs have errors (exit {code}); see the annotations."
    )
    skipped = _why_no_plan(os.environ)
    lines += ["", skipped] if skipped else []
    _summary("\n".join(lines) + "\n")
    if code != 0:
        raise SystemExit(ExitCode.ERROR)
    _output(matrix=_jobs(flags, staging, production, applying=False)["matrix"])


def _why_no_plan(env: Mapping[str, str]) -> str:
    head, base = env.get("HEAD_REPO", ""), env.get("BASE_REPO", "")
    if head and head != base:
        return "Plan skipped: pull requests from forks get no secrets."
    if env.get("ACTOR") == "dependabot[bot]":
        return "Plan skipped: Dependabot's pull requests get no secrets."
    return ""


@ci.command(name="catch-up")
@click.option("--branch", envvar="VOICEOPS_BRANCH", help="Default: the remote's default branch.")
@env_option
@flags_option
@reports_errors
def catch_up_step(branch: str | None, flags: str) -> None:
    """Before applying an older commit (the one staging pushed): take this environment's
    records and ids from the branch's tip, so nothing created meanwhile is created again."""
    with _locked(flags, "catch-up"):
        places, branch = _places(flags, branch)
        written = catch_up(places, branch)
    click.echo(f"Took {len(written)} id(s) and the records of this environment from {branch}.")


@ci.command(name="apply")
@click.option("--allow-mass-update", is_flag=True, envvar="ALLOW_MASS_UPDATE")
@env_option
@flags_option
@reports_errors
def apply_step(allow_mass_update: bool, flags: str) -> None:
    """`voiceops apply --auto-approve`, its output in the log and the job summary."""
    env = chosen_environment() or None
    args = ["apply", "--auto-approve", *(["--allow-mass-update"] if allow_mass_update else [])]
    with subprocess.Popen(
        _voiceops(args, flags, env=env),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    ) as child:
        assert child.stdout is not None
        log = []
        for line in child.stdout:
            click.echo(line, nl=False)
            log.append(line)
    code = child.returncode
    _output(exitcode=str(code))
    _summary(ci_report.apply_summary(env, code, "".join(log)))
    raise SystemExit(ExitCode.OK if code == 0 else ExitCode.ERROR)


def _report_step(what: str, args: list[str], flags: str) -> tuple[str, int, Path]:
    """Run a plan or drift, write its comment or issue body to RUNNER_TEMP and the job
    summary; returns the report, voiceops' exit code and the body's file."""
    env = chosen_environment() or None
    done = _capture(_voiceops([*args, "--format", "markdown"], flags, env=env))
    click.echo(safe_output(done.stderr), err=True, nl=False)
    body = ci_report.report_body(what, done.stdout, env, done.returncode, done.stderr)
    path = _temp_file(f"voiceops-{args[0]}{'-' + env if env else ''}.md", body)
    _summary(body)
    key = ci_report.environment_marker(env)
    _output(exitcode=str(done.returncode), report=str(path), key=key, environment=env or "")
    return done.stdout, done.returncode, path


@ci.command(name="plan")
@env_option
@flags_option
@reports_errors
def plan_step(flags: str) -> None:
    """Plan one environment (or everything) into a comment body for the pull request."""
    _, code, _ = _report_step("voiceops plan", ["plan", "--detailed-exitcode"], flags)
    raise SystemExit(ExitCode.OK if ci_report.succeeded(code) else ExitCode.ERROR)


@ci.command(name="comment")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option("--matrix", envvar="MATRIX", required=True, help="The plan jobs' matrix (JSON).")
@reports_errors
def comment_step(directory: Path, matrix: str) -> None:
    """Join the plan jobs' bodies (in DIRECTORY) into one comment, a section per environment,
    in the matrix's order; outputs `report`, the comment's file."""
    try:
        names = [str(entry["env"]) or None for entry in json.loads(matrix)]
    except (ValueError, TypeError, KeyError):
        raise click.ClickException("--matrix (MATRIX) is not the plan jobs' matrix") from None
    sections = []
    for env in names:
        path = directory / f"voiceops-plan{'-' + env if env else ''}.md"
        sections.append((env, path.read_text(encoding="utf-8") if path.is_file() else None))
    body = ci_report.one_comment(sections)
    _output(report=str(_temp_file("voiceops-plan-comment.md", body)))
    _summary(body)


@ci.command(name="drift")
@env_option
@flags_option
@reports_errors
def drift_step(flags: str) -> None:
    """Check one environment (or everything) for drift, into an issue body; outputs `drift`:
    found, none, or empty when an error kept it from checking and it found nothing."""
    report, code, _ = _report_step("voiceops drift", ["drift"], flags)
    _output(drift=ci_report.drift_state(code, report))
    raise SystemExit(ExitCode.OK if ci_report.succeeded(code) else ExitCode.ERROR)


@ci.command(name="commit")
@click.option(
    "--branch",
    envvar="VOICEOPS_BRANCH",
    help="The branch to push to (default: the remote's default branch).",
)
@env_option
@flags_option
@reports_errors
def commit_step(branch: str | None, flags: str) -> None:
    """Commit and push what apply wrote (created ids, the write-only record, pending
    creates); after a refused push, replay it on the branch's new tip. Outputs `commit`."""
    with _locked(flags, "commit"):
        places, branch = _places(flags, branch)
        env = places.environment
        done = publish(
            places,
            branch,
            lambda found: _commit_message(bool(found.ids), env),
            on_retry=lambda n, why: click.echo(f"{why}; replaying on the new tip ({n})."),
        )
    conflicts = [c.advice(env) for c in done.conflicts]
    _output(commit=done.commit)
    _summary(ci_report.publish_summary(branch, done.commit, done.pushed, conflicts))
    click.echo(f"Pushed {done.commit} to {branch}." if done.pushed else "Nothing to commit.")
    for line in conflicts:
        click.echo(f"error: {line}", err=True)
    raise SystemExit(ExitCode.ERROR if conflicts else ExitCode.OK)


def _commit_message(ids: bool, env: str | None) -> str:
    what = (
        "created assistants' ids and applied write-only fields"
        if ids
        else ("applied write-only fields")
    )
    return f"voiceops: record {what}{f' in {env}' if env else ''} [skip ci]"


def _locked(flags: str, step: str) -> AbstractContextManager[None]:
    """This environment's run lock, as apply takes it: these steps write ids and records,
    and publishing resets the work tree, which would lose the writes of an apply running in
    it. Another run holding it fails the step at once, naming the holder."""
    words = shlex.split(flags)
    config = None  # the last --config wins, as in click
    for at, word in enumerate(words):
        if word == "--config" and at + 1 < len(words):
            config = Path(words[at + 1])
        elif word.startswith("--config="):
            config = Path(word.split("=", 1)[1])
    return run_lock(config, 0.0, sandboxed=False, command=f"voiceops ci {step}")


def _places(flags: str, branch: str | None) -> tuple[Places, str]:
    """Where apply writes in this work tree (as voiceops validate says), and the branch."""
    env = chosen_environment() or None
    report = _validated(flags, env)
    record, assistants = report.get("write_only_record"), report.get("assistants")
    if not isinstance(record, str) or not isinstance(assistants, str):
        raise VoiceopsError("voiceops validate named no write-only record; check voiceops.yaml")
    repo = GitRepo.around(Path.cwd())
    places = Places(repo, Path(record).resolve(), Path(assistants).resolve(), env)
    return places, branch or repo.default_branch()
