"""Environments: effective providers and documents per environment, and the line an error
in an effective value points at."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from voiceops.errors import Location, VoiceopsError
from voiceops.spec.environments import (
    ENVIRONMENTS,
    EffectiveDocument,
    EnvironmentView,
    document_id,
    effective_document,
    effective_providers,
    environment_names,
    id_path,
    unknown_document_environments,
    unknown_environment,
    written_at,
)
from voiceops.spec.yamlsource import YamlDocument, YamlPath, load_documents

CONFIG = """\
providers:
  edmo-main: {type: edmo, email_env: EDMO_EMAIL, password_env: EDMO_PASSWORD}
  invent-eu:
    type: invent
    api_key_env: INVENT_KEY
    base_url: https://eu.invent.example
environments:
  staging:
    providers:
      edmo-main: {email_env: EDMO_STAGING_EMAIL, password_env: EDMO_STAGING_PASSWORD}
      invent-eu:
        base_url: https://staging.invent.example
  production: {}
  lab:
"""

DOCUMENT = """\
metadata: {name: enrollment}
provider: edmo-main
spec:
  name: Enrollment
  firstMessage: Hi!
  metadata:
    webhook: https://hooks.example.com/prod
    team: sales
  hints: [a, b]
environments:
  staging:
    id: "asst_s1"
    spec:
      metadata:
        webhook: https://hooks.example.com/staging
        team: null
      hints: [c]
  production:
    id: "asst_p1"
  lab: false
"""


def one(text: str) -> YamlDocument:
    (doc,) = load_documents(text, "a.yaml")
    return doc


def line_of(text: str, fragment: str) -> int:
    """The 1-based line of the only line containing `fragment`."""
    (line,) = [i for i, row in enumerate(text.splitlines(), 1) if fragment in row]
    return line


# --- voiceops.yaml


def test_environment_names_in_file_order() -> None:
    assert environment_names(one(CONFIG).data) == ("staging", "production", "lab")
    assert environment_names({"providers": {}}) == ()


def test_an_environment_merges_its_providers_over_the_base() -> None:
    config = one(CONFIG).data
    staging = effective_providers(config, "staging")
    assert staging["edmo-main"] == {
        "type": "edmo",
        "email_env": "EDMO_STAGING_EMAIL",
        "password_env": "EDMO_STAGING_PASSWORD",
    }
    assert staging["invent-eu"] == {
        "type": "invent",
        "api_key_env": "INVENT_KEY",
        "base_url": "https://staging.invent.example",
    }


@pytest.mark.parametrize("env", ["production", "lab"])
def test_an_environment_without_providers_sees_the_base(env: str) -> None:
    config = one(CONFIG).data
    assert effective_providers(config, env) == config["providers"]


def test_effective_providers_leave_the_configuration_unchanged() -> None:
    config = one(CONFIG).data
    before = copy.deepcopy(config)
    effective_providers(config, "staging")["edmo-main"]["type"] = "changed"
    effective_providers(config, "production")["edmo-main"]["type"] = "changed"
    assert config == before


def test_an_environment_can_drop_or_add_a_connection() -> None:
    config: dict[str, Any] = {
        "providers": {"a": {"type": "edmo"}, "b": {"type": "invent"}},
        "environments": {"eu": {"providers": {"a": None, "c": {"type": "autocalls"}}}},
    }
    assert effective_providers(config, "eu") == {
        "b": {"type": "invent"},
        "c": {"type": "autocalls"},
    }


def test_an_unknown_environment_is_one_sentence_with_a_suggestion() -> None:
    with pytest.raises(VoiceopsError) as caught:
        effective_providers(one(CONFIG).data, "stagng")
    assert caught.value.location is None
    assert str(caught.value) == (
        "unknown environment 'stagng'; did you mean 'staging'? "
        "(voiceops.yaml defines lab, production, staging)"
    )


def test_an_environment_in_a_project_without_environments() -> None:
    with pytest.raises(VoiceopsError, match="defines no environments, so there is no"):
        effective_providers({"providers": {}}, "staging")
    assert unknown_environment("x", []) == (
        "voiceops.yaml defines no environments, so there is no environment 'x'"
    )


def test_providers_of_an_environment_must_stay_a_mapping() -> None:
    config = {"providers": {"a": {}}, "environments": {"eu": {"providers": ["a"]}}}
    with pytest.raises(VoiceopsError, match=r"environments\.eu\.providers must be a mapping"):
        effective_providers(config, "eu")
    config = {"providers": {"a": {}}, "environments": {"eu": ["a"]}}
    with pytest.raises(VoiceopsError, match=r"environments\.eu must be a mapping \(`eu: {}`"):
        effective_providers(config, "eu")


def spec_location(doc: YamlDocument, env: str, path: YamlPath, *, key: bool = False) -> Location:
    """Where `env`'s effective spec value at `path` was written."""
    return EnvironmentView(doc, env).location(("spec", *path), key=key)


def provider_location(doc: YamlDocument, env: str, path: YamlPath) -> Location:
    """Where `env`'s effective `providers` value at `path` was written."""
    overlay = (ENVIRONMENTS, env, "providers")
    return doc.location(written_at(doc, ("providers",), overlay, path))


def test_a_provider_setting_an_environment_changes_points_at_the_environment() -> None:
    doc = one(CONFIG)
    at = provider_location(doc, "staging", ("invent-eu", "base_url"))
    assert at == Location("a.yaml", line_of(CONFIG, "staging.invent"), 19)
    at = provider_location(doc, "staging", ("invent-eu", "api_key_env"))
    assert at == Location("a.yaml", line_of(CONFIG, "INVENT_KEY"), 18)
    at = provider_location(doc, "production", ("invent-eu", "base_url"))
    assert at.line == line_of(CONFIG, "eu.invent")


# --- assistant documents


def test_the_effective_document_of_an_environment() -> None:
    staging = effective_document(one(DOCUMENT), "staging")
    assert staging == EffectiveDocument(
        environment="staging",
        id="asst_s1",
        spec={
            "name": "Enrollment",
            "firstMessage": "Hi!",
            "metadata": {"webhook": "https://hooks.example.com/staging"},
            "hints": ["c"],
        },
    )
    assert staging.problems == ()
    assert not staging.left_out


def test_an_environment_without_a_spec_patch_has_the_base_spec() -> None:
    doc = one(DOCUMENT)
    production = effective_document(doc, "production")
    assert production.id == "asst_p1"
    assert production.spec == doc.data["spec"]
    assert production.spec is not doc.data["spec"]
    assert production.problems == ()


def test_false_leaves_the_document_out_of_an_environment() -> None:
    lab = effective_document(one(DOCUMENT), "lab")
    assert lab.left_out
    assert lab.id is None
    assert lab.problems == ()


def test_a_document_that_does_not_name_an_environment_is_in_it_without_an_id() -> None:
    doc = one("metadata: {name: x}\nprovider: edmo-main\nspec: {name: X}\n")
    effective = effective_document(doc, "staging")
    assert (effective.id, effective.spec, effective.left_out) == (None, {"name": "X"}, False)
    assert effective.ensure == "present"
    assert effective.problems == ()


def test_ensure_per_environment_replaces_the_top_level_one() -> None:
    text = (
        "metadata: {name: x}\nprovider: p\nensure: absent\nspec: {name: X}\n"
        "environments:\n  staging: {id: s1}\n  production: {id: p1, ensure: present}\n"
    )
    doc = one(text)
    assert effective_document(doc, "staging").ensure == "absent"
    assert effective_document(doc, "production").ensure == "present"


def test_an_id_that_yaml_reads_as_a_number_is_text() -> None:
    doc = one("spec: {}\nenvironments:\n  staging: {id: 12345}\n")
    assert effective_document(doc, "staging").id == "12345"


def test_a_top_level_id_is_a_problem_where_environments_are_defined() -> None:
    text = 'metadata: {name: x}\nid: "asst_1"\nspec: {name: X}\n'
    effective = effective_document(one(text), "staging")
    assert effective.id is None
    (problem,) = effective.problems
    assert problem.location == Location("a.yaml", 2, 1)
    assert "top-level id is not used when voiceops.yaml defines environments" in problem.message
    assert "environments.<environment>.id" in problem.message


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("null", "environments.staging must be false (to leave the assistant out of staging)"),
        ("true", "environments.staging must be false"),
        ("[a]", "environments.staging must be false"),
    ],
)
def test_an_environment_entry_of_another_shape_is_a_problem(value: str, message: str) -> None:
    text = f"spec: {{name: X}}\nenvironments:\n  staging: {value}\n"
    effective = effective_document(one(text), "staging")
    (problem,) = effective.problems
    assert problem.message.startswith(message)
    assert problem.location == Location("a.yaml", 3, 12)
    assert (effective.spec, effective.left_out) == ({"name": "X"}, False)


def test_environments_that_are_not_a_mapping_are_a_problem() -> None:
    effective = effective_document(one("spec: {}\nenvironments: [staging]\n"), "staging")
    (problem,) = effective.problems
    assert problem.message.startswith("environments must be a mapping")
    assert problem.location == Location("a.yaml", 2, 15)


def test_a_spec_patch_that_is_not_a_mapping_is_a_problem() -> None:
    text = "spec: {name: X}\nenvironments:\n  staging:\n    spec: [name]\n"
    effective = effective_document(one(text), "staging")
    (problem,) = effective.problems
    assert problem.message.startswith("environments.staging.spec must be a mapping")
    assert problem.location == Location("a.yaml", 4, 11)
    assert effective.spec == {"name": "X"}


def test_the_document_is_not_changed() -> None:
    doc = one(DOCUMENT)
    before = copy.deepcopy(doc.data)
    effective_document(doc, "staging").spec["metadata"]["webhook"] = "changed"
    effective_document(doc, "production").spec["metadata"]["webhook"] = "changed"
    assert doc.data == before


def test_environments_a_document_names_must_be_defined() -> None:
    (problem,) = unknown_document_environments(one(DOCUMENT), ["staging", "production"])
    assert problem.location == Location("a.yaml", line_of(DOCUMENT, "lab: false"), 3)
    assert problem.message == (
        "unknown environment 'lab' (voiceops.yaml defines production, staging)"
    )
    assert unknown_document_environments(one(DOCUMENT), ["staging", "production", "lab"]) == []
    assert unknown_document_environments(one("spec: {}\n"), ["staging"]) == []


# --- where an error in an effective spec points


@pytest.mark.parametrize(
    ("env", "path", "fragment"),
    [
        # set by the overlay: its line
        ("staging", ("metadata", "webhook"), "hooks.example.com/staging"),
        ("staging", ("hints",), "hints: [c]"),
        ("staging", ("hints", 0), "hints: [c]"),
        # removed by the overlay: the null that removed it
        ("staging", ("metadata", "team"), "team: null"),
        # merged, or untouched by the overlay: the base
        ("staging", ("metadata",), "  metadata:\n"),
        ("staging", ("name",), "name: Enrollment"),
        ("staging", ("firstMessage",), "firstMessage"),
        ("staging", (), "spec:\n"),
        # an environment without a spec patch: the base throughout
        ("production", ("metadata", "webhook"), "hooks.example.com/prod"),
        ("production", ("hints", 1), "hints: [a, b]"),
        ("lab", ("name",), "name: Enrollment"),
    ],
)
def test_an_error_points_at_the_line_that_wrote_the_value(
    env: str, path: tuple[str | int, ...], fragment: str
) -> None:
    doc = one(DOCUMENT)
    # A fragment ending in a newline names a key's line: the value starts on the next one.
    start = DOCUMENT.index(fragment)
    line = DOCUMENT.count("\n", 0, start) + 1 + (fragment.endswith("\n"))
    assert spec_location(doc, env, path).line == line


def test_locations_are_exact_columns() -> None:
    doc = one(DOCUMENT)
    webhook = line_of(DOCUMENT, "hooks.example.com/staging")
    assert spec_location(doc, "staging", ("metadata", "webhook")) == Location("a.yaml", webhook, 18)
    assert spec_location(doc, "staging", ("metadata", "webhook"), key=True) == Location(
        "a.yaml", webhook, 9
    )
    assert spec_location(doc, "staging", ("hints", 0)) == Location(
        "a.yaml", line_of(DOCUMENT, "hints: [c]"), 15
    )
    assert spec_location(doc, "production", ("hints", 1)) == Location(
        "a.yaml", line_of(DOCUMENT, "hints: [a, b]"), 14
    )


def test_a_mapping_only_the_overlay_brings_points_at_the_overlay() -> None:
    text = (
        "spec:\n"
        "  name: X\n"
        "environments:\n"
        "  staging:\n"
        "    spec:\n"
        "      voice: {provider: azure, id: v1}\n"
        "      name: {text: Y}\n"
    )
    doc = one(text)
    assert spec_location(doc, "staging", ("voice",)) == Location("a.yaml", 6, 14)
    assert spec_location(doc, "staging", ("voice", "id")) == Location("a.yaml", 6, 36)
    # The base has a string there: the overlay's mapping replaced it.
    assert spec_location(doc, "staging", ("name",)) == Location("a.yaml", 7, 13)
    assert spec_location(doc, "staging", ("name", "text")) == Location("a.yaml", 7, 20)


def test_a_path_missing_from_both_falls_back_as_in_the_base() -> None:
    doc = one(DOCUMENT)
    for path in [("voice", "id"), ("metadata", "other")]:
        assert spec_location(doc, "staging", path) == doc.location(("spec", *path))
    # the nearest enclosing key that exists
    assert spec_location(doc, "staging", ("voice", "id")) == Location("a.yaml", 3, 1)


def test_a_spec_patch_of_another_shape_points_at_itself() -> None:
    doc = one("spec: {name: X}\nenvironments:\n  staging:\n    spec: [name]\n")
    assert spec_location(doc, "staging", ("name",)) == Location("a.yaml", 4, 5)
    assert spec_location(doc, "staging", ()) == Location("a.yaml", 4, 11)


def test_written_at_names_the_path_in_the_document() -> None:
    doc = one("base: {a: 1, b: {c: 2}}\nover: {b: {c: 3}}\n")
    assert written_at(doc, ("base",), ("over",), ("b", "c")) == ("over", "b", "c")
    assert written_at(doc, ("base",), ("over",), ("b",)) == ("base", "b")
    assert written_at(doc, ("base",), ("over",), ("a",)) == ("base", "a")
    assert written_at(doc, ("base",), ("missing",), ("b", "c")) == ("base", "b", "c")


# --- a document as an environment sees it


def test_the_view_of_an_environment_answers_for_the_effective_document() -> None:
    doc = one(DOCUMENT)
    staging = EnvironmentView(doc, "staging")
    assert staging.source == "a.yaml"
    webhook = ("spec", "metadata", "webhook")
    assert staging.location(webhook) == spec_location(doc, "staging", webhook[1:])
    assert staging.location(webhook).line == line_of(DOCUMENT, "example.com/staging")
    assert staging.location(("spec", "name"), key=True) == doc.location(("spec", "name"), key=True)
    assert staging.location(("id",)).line == line_of(DOCUMENT, "asst_s1")
    assert staging.location(("provider",)) == doc.location(("provider",))
    assert staging.location(("ensure",)) == doc.location(("ensure",))


def test_the_view_finds_yaml_surprises_where_they_were_written() -> None:
    text = (
        "ensure: present\nspec: {enabled: true, code: '0755'}\n"
        "environments:\n  staging: {ensure: absent, spec: {enabled: no, code: 0755}}\n"
    )
    doc = one(text)
    staging, production = EnvironmentView(doc, "staging"), EnvironmentView(doc, "production")
    assert staging.surprise(("spec", "enabled")) == "no"
    assert staging.surprise(("spec", "code")) == "0755"
    assert production.surprise(("spec", "enabled")) is None
    assert production.surprise(("spec", "code")) is None
    assert staging.location(("ensure",)) == Location("a.yaml", 4, 21)
    assert production.location(("ensure",)) == Location("a.yaml", 1, 9)


# --- where a create writes its id


def test_a_create_writes_its_id_under_the_environment() -> None:
    assert id_path("staging") == ("environments", "staging", "id")
    doc = one(DOCUMENT)
    assert doc.location(id_path("production")) == Location(
        "a.yaml", line_of(DOCUMENT, "asst_p1"), 9
    )


def test_document_id_reads_the_id_of_each_environment() -> None:
    data = {
        "id": "top",
        "environments": {"staging": {"id": 7}, "production": False, "dev": {"id": True}},
    }
    assert document_id(data, None) == "top"
    assert document_id(data, "staging") == 7
    assert document_id(data, "production") is None  # left out
    assert document_id(data, "dev") is None  # true is no id
    assert document_id(data, "qa") is None
    assert document_id({"id": False}, None) is None
    assert document_id(["not", "a", "mapping"], None) is None
