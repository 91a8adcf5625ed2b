"""The run lock's pieces (runlock.py); its behaviour end to end is in
tests/integration/test_one_owner.py."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from voiceops.errors import VoiceopsError
from voiceops.runlock import LockHeld, RunLock, ensure_ignored, lock_path, parse_duration


def test_durations_read_like_terraform_s() -> None:
    assert parse_duration("30s") == 30
    assert parse_duration("5m") == 300
    assert parse_duration("1h") == 3600
    assert parse_duration("250ms") == 0.25
    assert parse_duration("12") == 12
    with pytest.raises(ValueError, match="not a duration"):
        parse_duration("soon")


def test_each_environment_has_its_own_lock(tmp_path: Path) -> None:
    assert lock_path(tmp_path, None) == tmp_path / ".voiceops" / "run.lock"
    assert lock_path(tmp_path, "staging") == tmp_path / ".voiceops" / "run-staging.lock"
    odd = lock_path(tmp_path, "../../etc")
    assert odd.parent == tmp_path / ".voiceops"
    assert odd.name.startswith("run-env-")


def test_a_held_lock_refuses_a_second_holder_and_is_gone_after(tmp_path: Path) -> None:
    notes: list[str] = []
    lock = RunLock(lock_path(tmp_path, "staging"), "staging", notes.append)
    with lock.hold(command="voiceops apply") as mine:
        held = json.loads(lock.path.read_text(encoding="utf-8"))
        assert (held["pid"], held["command"]) == (mine.pid, "voiceops apply")
        # The same process counts as running: a second hold is refused, not taken over.
        refused = pytest.raises(LockHeld, match="for environment 'staging': 'voiceops apply'")
        with refused, lock.hold():
            pass
    assert not lock.path.exists()
    assert notes == []


def test_a_file_that_is_no_lock_is_reported_not_overwritten(tmp_path: Path) -> None:
    path = lock_path(tmp_path, None)
    path.parent.mkdir()
    path.write_text("garbage", encoding="utf-8")
    with (
        pytest.raises(VoiceopsError, match="is not a voiceops run lock"),
        RunLock(path, None, print).hold(),
    ):
        pass
    assert path.read_text(encoding="utf-8") == "garbage"


def test_the_ignore_line_is_added_once_after_what_is_there(tmp_path: Path) -> None:
    (tmp_path / ".gitignore").write_text("dist/", encoding="utf-8")
    assert ensure_ignored(tmp_path)
    assert not ensure_ignored(tmp_path)
    assert (tmp_path / ".gitignore").read_text(encoding="utf-8") == "dist/\n.voiceops/**/*.lock\n"
