"""Origins of a difference from the digests of the last apply, and word diffs of prose."""

from __future__ import annotations

from voiceops.reconcile.changes import ABSENT, Change
from voiceops.reconcile.origins import Origin, applied_digests, managed_leaves, origin_of
from voiceops.render.values import word_diff

APPLIED = {"voice": {"provider": "openai", "speed": 1}, "hints": ["a", "b"], "temp": 0.5}
RECORDED = applied_digests("conn", "id1", APPLIED)


def _origin(path: tuple[str, ...], before: object, after: object) -> Origin:
    return origin_of(Change(path, before, after), RECORDED, "conn", "id1")


def test_leaves_stop_at_lists_and_values() -> None:
    assert set(managed_leaves(APPLIED)) == {
        ("voice", "provider"),
        ("voice", "speed"),
        ("hints",),
        ("temp",),
    }
    assert list(RECORDED) == sorted(RECORDED)


def test_each_origin() -> None:
    assert _origin(("temp",), 0.5, 0.7) == Origin.GIT
    assert _origin(("temp",), 0.9, 0.5) == Origin.DASHBOARD
    assert _origin(("temp",), 0.9, 0.7) == Origin.BOTH
    assert _origin(("hints",), ["a"], ["a", "b"]) == Origin.DASHBOARD
    assert _origin(("voice", "provider"), ABSENT, "openai") == Origin.DASHBOARD
    assert _origin(("voice", "speed"), 1.0, 2) == Origin.GIT  # 1.0 is 1
    assert _origin(("model",), "x", "y") == Origin.UNKNOWN
    assert origin_of(Change(("temp",), 0.9, 0.7), None, "conn", "id1") == Origin.UNKNOWN


def test_another_assistant_never_shares_a_digest() -> None:
    assert applied_digests("conn", "id2", APPLIED)["temp"] != RECORDED["temp"]


def test_secrets_get_no_digest() -> None:
    digests = applied_digests("conn", "id1", APPLIED, frozenset({("voice",)}))
    assert set(digests) == {"hints", "temp"}


def test_word_diff_marks_the_changed_words_only() -> None:
    before = "Greet the caller.\nOffer a 30-minute demo to every caller who asks for one today."
    after = "Greet the caller.\nOffer a 45-minute demo to every caller who asks for one today."
    lines = word_diff(Change(("prompt",), before, after))
    assert lines == [
        "Offer a [-30-minute-] {+45-minute+} demo to every caller who asks for one today."
    ]
