"""Which values `import --force` changes in a document that manages the assistant."""

from __future__ import annotations

from voiceops.reconcile.importupdate import (
    KeepRules,
    as_references,
    document_edits,
    edited_fields,
    holds_secret,
)
from voiceops.spec.yamledit import Add, Replace

RULES = KeepRules(
    sensitive=frozenset({("server", "secret")}),
    generated=frozenset({"${env:X_SERVER_SECRET}", "${env:X_NOTE}"}),
    env={"HOOK_URL": "https://hooks.example.com/a"},
)


def test_changed_values_are_replaced_field_by_field_and_unmanaged_ones_left_out() -> None:
    document = {"metadata": {"name": "x"}, "spec": {"a": 1, "server": {"url": "u", "t": 20}}}
    spec = {"a": 1.0, "server": {"url": "u", "t": 45, "headers": {}}, "b": [1]}
    edits = document_edits(document, spec, RULES)
    assert edits == [Replace(("spec", "server", "t"), 45)]
    assert edited_fields(edits) == ["server.t"]


def test_what_import_cannot_read_is_kept_as_written() -> None:
    document = {
        "spec": {
            "write_only": 0.4,  # absent from the live state
            "server": {"secret": "${env:MY_SECRET}", "url": "${env:HOOK_URL}"},
            "unset": "${env:NOT_SET}",
            "note": "plain",
        }
    }
    spec = {
        "server": {"secret": "${env:X_SERVER_SECRET}", "url": "https://hooks.example.com/a"},
        "unset": "live text",
        "note": "${env:X_NOTE}",  # a credential the vendor echoed into a field
    }
    assert document_edits(document, spec, RULES) == []


def test_a_reference_that_resolves_to_another_value_takes_the_live_value() -> None:
    document = {"spec": {"url": "${env:HOOK_URL}", "flag": 1}}
    spec = {"url": "https://hooks.example.com/b", "flag": True}
    assert document_edits(document, spec, RULES) == [
        Replace(("spec", "url"), "https://hooks.example.com/b"),
        Replace(("spec", "flag"), True),
    ]


def test_a_document_without_spec_gets_the_whole_spec() -> None:
    assert document_edits({"metadata": {}}, {"a": 1}, RULES) == [Add((), "spec", {"a": 1})]


def test_a_differing_live_value_keeps_the_template_s_references() -> None:
    rules = KeepRules(
        sensitive=frozenset(),
        generated=frozenset(),
        env={"HOOK_TOKEN": "tok_123456"},
        secrets={"tok_123456": "HOOK_TOKEN"},
    )
    document = {"spec": {"url": "https://h.example.com/in?token=${env:HOOK_TOKEN}"}}
    same = {"url": "https://h.example.com/in?token=${env:HOOK_TOKEN}"}
    assert document_edits(document, same, rules) == []
    moved = {"url": "https://h.example.com/v2?token=tok_123456"}
    assert document_edits(document, moved, rules) == [
        Replace(("spec", "url"), "https://h.example.com/v2?token=${env:HOOK_TOKEN}")
    ]


def test_short_secrets_are_references_only_where_they_are_the_whole_text() -> None:
    secrets = {"eu": "REGION", "tok_123456": "HOOK_TOKEN"}
    value = {"region": "eu", "note": "queue", "list": ["x tok_123456 y"]}
    assert as_references(value, secrets) == {
        "region": "${env:REGION}",
        "note": "queue",
        "list": ["x ${env:HOOK_TOKEN} y"],
    }
    assert holds_secret(["a tok_123456"], secrets)
    assert not holds_secret(["queue"], secrets)
