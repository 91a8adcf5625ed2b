"""The record of creates whose outcome is unknown (reconcile/pending.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from voiceops.errors import VoiceopsError
from voiceops.reconcile.pending import PendingCreates, pending_path


def test_it_lives_beside_the_write_only_record(tmp_path: Path) -> None:
    assert pending_path(tmp_path / ".voiceops" / "write-only.json") == (
        tmp_path / ".voiceops" / "pending-creates.json"
    )
    assert pending_path(None) is None


def test_a_note_is_saved_at_once_and_read_by_the_next_run(tmp_path: Path) -> None:
    path = tmp_path / ".voiceops" / "pending-creates.json"
    first = PendingCreates.load(path)
    first.note("edmo-main", "tutor-fr", "assistants/tutor-fr.yaml", shown="Tutor FR")
    entry = PendingCreates.load(path).get("edmo-main", "tutor-fr")
    assert entry is not None
    assert (entry.source, entry.shown, entry.id) == ("assistants/tutor-fr.yaml", "Tutor FR", None)
    refusal = first.refusal(entry, "Edmo")
    assert "check the Edmo dashboard for an assistant named 'Tutor FR'" in refusal
    assert ".voiceops/pending-creates.json" in refusal

    first.note("edmo-main", "tutor-fr", "assistants/tutor-fr.yaml", new_id="asst_9")
    entry = PendingCreates.load(path).get("edmo-main", "tutor-fr")
    assert entry is not None
    assert 'add id: "asst_9"' in first.refusal(entry, "Edmo")

    first.forget("edmo-main", "tutor-fr")
    assert PendingCreates.load(path).entries == {}
    assert not path.exists()  # nothing pending: no file for the apply workflow to commit


def test_runs_keep_each_others_notes(tmp_path: Path) -> None:
    path = tmp_path / "pending-creates.json"
    one, other = PendingCreates.load(path), PendingCreates.load(path)
    one.note("edmo-main", "a", "a.yaml")
    other.note("edmo-main", "b", "b.yaml")
    one.forget("edmo-main", "a")
    assert list(PendingCreates.load(path).entries) == ["edmo-main/b"]


def test_without_a_path_nothing_is_written(tmp_path: Path) -> None:
    memory = PendingCreates.load(None)
    memory.note("edmo-main", "a", "a.yaml")
    assert memory.get("edmo-main", "a") is not None
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    "content",
    [
        "not json",
        "[]",
        json.dumps({"pending": {"k": {"connection": "c"}}}),
        json.dumps(
            {
                "pending": {
                    "k": {"connection": "c", "name": "n", "source": "s", "sent_at": "t", "id": 5}
                }
            }
        ),
        b"\xff\xfe",
    ],
)
def test_a_broken_record_is_one_sentence(tmp_path: Path, content: str | bytes) -> None:
    path = tmp_path / "pending-creates.json"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    with pytest.raises(VoiceopsError) as caught:
        PendingCreates.load(path)
    assert "\n" not in caught.value.message
    assert "pending-creates.json" in caught.value.message


def test_an_entry_is_found_by_what_it_says_whatever_its_key(tmp_path: Path) -> None:
    """A hand-edited key must not hide a create of unknown outcome (it would be sent again)."""
    path = tmp_path / "pending-creates.json"
    PendingCreates.load(path).note("edmo-main", "tutor-fr", "assistants/tutor-fr.yaml")
    record = json.loads(path.read_text(encoding="utf-8"))
    record["pending"] = {"renamed": record["pending"]["edmo-main/tutor-fr"]}
    path.write_text(json.dumps(record), encoding="utf-8")
    pending = PendingCreates.load(path)
    assert pending.get("edmo-main", "tutor-fr") is not None
    pending.forget("edmo-main", "tutor-fr")
    assert PendingCreates.load(path).entries == {}


def test_a_record_that_is_no_regular_file_is_refused_not_read(tmp_path: Path) -> None:
    path = tmp_path / "pending-creates.json"
    path.symlink_to("/dev/zero")  # reading it would never end
    with pytest.raises(VoiceopsError, match="is not a regular file"):
        PendingCreates.load(path)


def test_forget_all_saves_once_for_many(tmp_path: Path) -> None:
    path = tmp_path / "pending-creates.json"
    record = PendingCreates.load(path)
    for name in ("a", "b", "c"):
        record.note("edmo-main", name, f"{name}.yaml")
    before = path.stat().st_mtime_ns
    record.forget_all([])  # nothing to forget: the file is not rewritten
    assert path.stat().st_mtime_ns == before
    record.forget_all([("edmo-main", "a"), ("edmo-main", "c")])
    assert list(PendingCreates.load(path).entries) == ["edmo-main/b"]


def test_a_note_of_an_untrusted_answer_says_why_and_survives_a_reload(tmp_path: Path) -> None:
    path = tmp_path / ".voiceops" / "pending-creates.json"
    record = PendingCreates.load(path)
    doubt = "its answer gave id 'asst_9', but the vendor has no assistant of that id"
    record.note(
        "invent-support", "desk-fr", "assistants/desk-fr.yaml", shown="Desk FR", doubt=doubt
    )
    entry = PendingCreates.load(path).get("invent-support", "desk-fr")
    assert entry is not None
    assert entry.doubt == doubt
    refusal = record.refusal(entry, "Invent")
    assert f"did not trust its answer ({doubt})" in refusal
    assert "check the Invent dashboard for an assistant named 'Desk FR'" in refusal
