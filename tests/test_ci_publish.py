"""Publishing what apply wrote (reconcile/publish.py) against a bare git repository on disk:
ids and record entries replayed on a branch that moved on, conflicts kept and reported,
retries bounded, the default branch taken from the remote."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from voiceops.reconcile.gitrepo import GitRepo, PushRejected
from voiceops.reconcile.pending import PendingCreates
from voiceops.reconcile.publish import Places, WriteBacks, capture, catch_up, publish
from voiceops.runlock import RunLock, lock_path

BRANCH = "trunk"  # not `main`: the default branch comes from the remote
DOC = """\
apiVersion: voiceops/v1
kind: Assistant
metadata:
  name: {name}
provider: edmo-main
spec:
  name: {name}
"""

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")


def git(cwd: Path, *args: str) -> str:
    env = {
        **os.environ,
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_TERMINAL_PROMPT": "0",
    }
    done = subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.invalid", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout


@pytest.fixture(autouse=True)
def _isolated_git(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", os.devnull)


@pytest.fixture
def origin(tmp_path: Path) -> Path:
    bare = tmp_path / "origin.git"
    git(tmp_path, "init", "--quiet", "--bare", f"--initial-branch={BRANCH}", str(bare))
    seed = tmp_path / "seed"
    git(tmp_path, "clone", "--quiet", str(bare), str(seed))
    git(seed, "checkout", "--quiet", "-b", BRANCH)
    (seed / "assistants").mkdir()
    for name in ("tutor", "coach"):
        (seed / "assistants" / f"{name}.yaml").write_text(DOC.format(name=name), "utf-8")
    git(seed, "add", ".")
    git(seed, "commit", "--quiet", "-m", "specs")
    git(seed, "push", "--quiet", "origin", BRANCH)
    return bare


def clone(origin: Path, where: Path) -> Path:
    git(where.parent, "clone", "--quiet", str(origin), str(where))
    return where


def places(root: Path, env: str | None = None) -> Places:
    record = root / ".voiceops" / (env or "") / "write-only.json"
    return Places(GitRepo(root), record, root / "assistants", env)


def write_id(root: Path, name: str, new_id: str, env: str | None = None) -> None:
    path = root / "assistants" / f"{name}.yaml"
    text = path.read_text("utf-8")
    if env is None:
        text = text.replace("provider: edmo-main\n", f'provider: edmo-main\nid: "{new_id}"\n')
    else:
        text += f'environments:\n  {env}: {{id: "{new_id}"}}\n'
    path.write_text(text, "utf-8")


def write_record(where: Places, entries: dict[str, dict[str, str]]) -> None:
    where.record.parent.mkdir(parents=True, exist_ok=True)
    document = {"format_version": 1, "about": "test", "assistants": entries}
    where.record.write_text(json.dumps(document), "utf-8")


def tip_text(origin: Path, relative: str) -> str:
    return git(origin, "show", f"{BRANCH}:{relative}")


def message(found: WriteBacks) -> str:
    return "ids [skip ci]" if found.ids else "records [skip ci]"


def test_capture_finds_new_ids_and_changed_record_entries(origin: Path, tmp_path: Path) -> None:
    root = clone(origin, tmp_path / "work")
    write_id(root, "tutor", "a1", "staging")
    write_record(places(root, "staging"), {"edmo-main/a1": {"prompt": "sha256:1"}})
    found = capture(places(root, "staging"))
    assert [(w.path, w.name, w.connection, w.new_id) for w in found.ids] == [
        ("assistants/tutor.yaml", "tutor", "edmo-main", "a1")
    ]
    assert found.applied == {"edmo-main/a1": {"prompt": "sha256:1"}}


def test_nothing_written_pushes_nothing(origin: Path, tmp_path: Path) -> None:
    root = clone(origin, tmp_path / "work")
    done = publish(places(root), BRANCH, message)
    assert not done.pushed
    assert done.commit == git(root, "rev-parse", "HEAD").strip()


def test_a_push_on_a_moved_branch_replays_ids_and_merges_records(
    origin: Path, tmp_path: Path
) -> None:
    first, second = clone(origin, tmp_path / "a"), clone(origin, tmp_path / "b")
    write_id(first, "tutor", "a1", "staging")
    write_record(places(first, "staging"), {"edmo-main/a1": {"prompt": "sha256:1"}})
    assert publish(places(first, "staging"), BRANCH, message).pushed

    # The other run started from the same commit: its push is refused, then replayed.
    write_id(second, "coach", "b2", "staging")
    write_record(places(second, "staging"), {"edmo-main/b2": {"prompt": "sha256:2"}})
    retries: list[int] = []
    done = publish(
        places(second, "staging"), BRANCH, message, on_retry=lambda n, _: retries.append(n)
    )
    assert done.pushed
    assert retries == [1] or done.attempts == 1  # the first attempt already saw the new tip
    assert done.conflicts == []
    assert 'staging: {id: "a1"}' in tip_text(origin, "assistants/tutor.yaml")
    assert 'id: "b2"' in tip_text(origin, "assistants/coach.yaml")
    record = json.loads(tip_text(origin, ".voiceops/staging/write-only.json"))
    assert record["assistants"] == {
        "edmo-main/a1": {"prompt": "sha256:1"},
        "edmo-main/b2": {"prompt": "sha256:2"},
    }
    log = git(origin, "log", "--format=%s", BRANCH).splitlines()
    assert log == ["ids [skip ci]", "ids [skip ci]", "specs"]


def test_a_refused_push_is_replayed_on_the_new_tip(
    origin: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The branch moves between the fetch and the push: the push is refused once."""
    root, other = clone(origin, tmp_path / "a"), clone(origin, tmp_path / "b")
    write_id(root, "tutor", "a1")
    real_push = GitRepo.push
    moved: list[bool] = []

    def push_after_a_merge(self: GitRepo, branch: str) -> None:
        if not moved:
            (other / "README.md").write_text("merged meanwhile\n", "utf-8")
            git(other, "add", "README.md")
            git(other, "commit", "--quiet", "-m", "merged meanwhile")
            git(other, "push", "--quiet", "origin", BRANCH)
            moved.append(True)
        real_push(self, branch)

    monkeypatch.setattr(GitRepo, "push", push_after_a_merge)
    retries: list[str] = []
    done = publish(places(root), BRANCH, message, on_retry=lambda _, why: retries.append(why))
    assert done.pushed
    assert done.attempts == 2
    assert len(retries) == 1
    assert git(origin, "log", "--format=%s", BRANCH).splitlines() == [
        "ids [skip ci]",
        "merged meanwhile",
        "specs",
    ]
    assert 'id: "a1"' in tip_text(origin, "assistants/tutor.yaml")


def test_retries_are_bounded(origin: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = clone(origin, tmp_path / "a")
    write_id(root, "tutor", "a1")

    def refused(self: GitRepo, branch: str) -> None:
        raise PushRejected("git push was refused: protected branch")

    monkeypatch.setattr(GitRepo, "push", refused)
    with pytest.raises(Exception, match="after 3 attempts"):
        publish(places(root), BRANCH, message, attempts=3)


@pytest.mark.parametrize("meanwhile", ["deleted", "another id"])
def test_a_real_conflict_keeps_the_id_in_the_pending_record(
    origin: Path, tmp_path: Path, meanwhile: str
) -> None:
    root, other = clone(origin, tmp_path / "a"), clone(origin, tmp_path / "b")
    if meanwhile == "deleted":
        git(other, "rm", "--quiet", "assistants/tutor.yaml")
    else:
        write_id(other, "tutor", "zz9", "production")
    git(other, "commit", "--quiet", "-am", "meanwhile")
    git(other, "push", "--quiet", "origin", BRANCH)

    write_id(root, "tutor", "a1", "production")
    done = publish(places(root, "production"), BRANCH, message)
    assert done.pushed
    [conflict] = done.conflicts
    advice = conflict.advice("production")
    assert "'a1'" in advice
    assert ("deleted" in advice) == (meanwhile == "deleted")
    assert "environments.production.id" in advice
    pending = json.loads(tip_text(origin, ".voiceops/production/pending-creates.json"))
    [entry] = pending["pending"].values()
    assert (entry["connection"], entry["name"], entry["id"]) == ("edmo-main", "tutor", "a1")
    # The next run refuses the document until someone decides, and says what to do.
    loaded = PendingCreates.load(places(root, "production").pending)
    found = loaded.get("edmo-main", "tutor")
    assert found is not None
    assert "'a1'" in loaded.refusal(found, "Edmo", "environments.production.id")


def test_pending_entries_added_and_removed_are_merged_by_key(origin: Path, tmp_path: Path) -> None:
    first, second = clone(origin, tmp_path / "a"), clone(origin, tmp_path / "b")
    theirs = PendingCreates(places(first).pending)
    theirs.note("edmo-main", "coach", "assistants/coach.yaml")
    assert publish(places(first), BRANCH, message).pushed

    ours = PendingCreates(places(second).pending)
    ours.note("edmo-main", "tutor", "assistants/tutor.yaml")
    assert publish(places(second), BRANCH, message).pushed
    pending = json.loads(tip_text(origin, ".voiceops/pending-creates.json"))
    assert sorted(pending["pending"]) == ["edmo-main/coach", "edmo-main/tutor"]


def test_catch_up_takes_the_environments_ids_and_records_from_the_tip(
    origin: Path, tmp_path: Path
) -> None:
    old = git(origin, "rev-parse", BRANCH).strip()
    first = clone(origin, tmp_path / "a")
    write_id(first, "tutor", "p1", "production")
    write_record(places(first, "production"), {"edmo-main/p1": {"prompt": "sha256:1"}})
    assert publish(places(first, "production"), BRANCH, message).pushed

    later = clone(origin, tmp_path / "b")
    git(later, "checkout", "--quiet", "--detach", old)
    written = catch_up(places(later, "production"), BRANCH)
    assert [(w.name, w.new_id) for w in written] == [("tutor", "p1")]
    document = yaml.safe_load((later / "assistants" / "tutor.yaml").read_text("utf-8"))
    assert document["environments"] == {"production": {"id": "p1"}}
    record = json.loads(places(later, "production").record.read_text("utf-8"))
    assert record["assistants"] == {"edmo-main/p1": {"prompt": "sha256:1"}}


def test_the_default_branch_is_the_remotes(origin: Path, tmp_path: Path) -> None:
    root = clone(origin, tmp_path / "a")
    assert GitRepo(root).default_branch() == BRANCH
    git(root, "remote", "set-head", "origin", "--delete")
    assert GitRepo(root).default_branch() == BRANCH  # asked from the remote itself


def test_only_what_apply_wrote_is_committed(origin: Path, tmp_path: Path) -> None:
    root = clone(origin, tmp_path / "a")
    write_id(root, "tutor", "a1")
    coach = root / "assistants" / "coach.yaml"
    coach.write_text(coach.read_text("utf-8") + "# an edit of someone's\n", "utf-8")
    (root / "assistants" / "draft.yaml").write_text("draft\n", "utf-8")
    done = publish(places(root), BRANCH, message)
    assert done.pushed
    files = git(origin, "show", "--name-only", "--format=", BRANCH).split()
    assert files == ["assistants/tutor.yaml"]
    shown = git(origin, "show", "--format=", BRANCH)
    assert [line for line in shown.splitlines() if line.startswith(("+", "-"))][2:] == ['+id: "a1"']


CONFIG = """\
assistants: assistants/
providers:
  edmo-main: {type: edmo, email_env: EDMO_EMAIL, password_env: EDMO_PASSWORD}
"""


def test_the_commit_step_reports_a_conflict_with_the_created_id(
    origin: Path, tmp_path: Path
) -> None:
    other = clone(origin, tmp_path / "b")
    (other / "voiceops.yaml").write_text(CONFIG, "utf-8")
    git(other, "add", "voiceops.yaml")
    git(other, "commit", "--quiet", "-m", "settings")
    git(other, "push", "--quiet", "origin", BRANCH)
    root = clone(origin, tmp_path / "a")
    git(other, "rm", "--quiet", "assistants/tutor.yaml")
    git(other, "commit", "--quiet", "-m", "tutor deleted meanwhile")
    git(other, "push", "--quiet", "origin", BRANCH)

    write_id(root, "tutor", "a1")
    summary, output = tmp_path / "summary.md", tmp_path / "output.txt"
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("GITHUB_", "VOICEOPS_"))
    }
    env.update(GITHUB_STEP_SUMMARY=str(summary), GITHUB_OUTPUT=str(output))
    done = subprocess.run(
        [sys.executable, "-m", "voiceops", "ci", "commit"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 1, done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    assert "error: assistants/tutor.yaml: the assistant 'tutor' was created as id 'a1'" in (
        done.stderr
    )
    assert "deleted meanwhile" in done.stderr
    assert "'a1'" in summary.read_text("utf-8")
    tip = git(origin, "rev-parse", BRANCH).strip()
    assert f"commit={tip}" in output.read_text("utf-8").splitlines()
    pending = json.loads(tip_text(origin, ".voiceops/pending-creates.json"))
    assert [entry["id"] for entry in pending["pending"].values()] == ["a1"]


@pytest.mark.parametrize("step", ["commit", "catch-up"])
def test_the_writing_steps_fail_at_once_while_a_run_holds_the_lock(
    origin: Path, tmp_path: Path, step: str
) -> None:
    root = clone(origin, tmp_path / "a")
    (root / "voiceops.yaml").write_text(CONFIG, "utf-8")
    write_id(root, "tutor", "a1")
    before = (root / "assistants" / "tutor.yaml").read_text("utf-8")
    tip = git(origin, "rev-parse", BRANCH).strip()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "VOICEOPS_"))}
    apply_lock = RunLock(lock_path(root, None), None, lambda _: None)
    with apply_lock.hold(command="voiceops apply"):
        done = subprocess.run(
            [sys.executable, "-m", "voiceops", "ci", step],
            cwd=root,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    assert done.returncode == 1, done.stdout + done.stderr
    assert done.stderr.startswith("error: another run holds the run lock: 'voiceops apply'")
    assert f"(pid {os.getpid()} " in done.stderr
    assert git(origin, "rev-parse", BRANCH).strip() == tip
    assert (root / "assistants" / "tutor.yaml").read_text("utf-8") == before
