"""What `voiceops validate` checks offline for the assistant lifecycle: documents without an
id (create), `ensure: absent` (delete) and `report_unmanaged` (list), each refused with one
sentence at its place where the vendor documents no such endpoint."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from tests.providers.provider_helpers import provider
from voiceops.cli import main
from voiceops.live.providers import PROVIDER_TYPES
from voiceops.spec.config import load_config
from voiceops.spec.schemas import SchemaStore
from voiceops.spec.starter import write_starter
from voiceops.spec.validation import validate
from voiceops.spec.vendors import (
    cannot_create,
    cannot_delete,
    cannot_list,
    creates,
    delete_alternative,
    deletes,
    lists,
)

ROOT = Path(__file__).resolve().parent.parent
CONFIG = (ROOT / "voiceops.yaml").read_text(encoding="utf-8")
HEAD = "apiVersion: voiceops/v1\nkind: Assistant\nmetadata:\n  name: {name}\nprovider: {provider}\n"
CREATE = (
    "which {vendor} requires to create an assistant (this document has no id, so apply creates one)"
)

VALID_NEW = {
    "edmo-main": "spec:\n  name: New\n  model: {provider: openai, model: gpt-4o}\n",
    "invent-support": "spec:\n  name: New\n",
    "autocalls-sales": (
        "spec:\n"
        "  name: New\n"
        "  voice_id: 12\n"
        "  language_id: 2\n"
        "  llm_model_id: 3\n"
        "  type: inbound\n"
        "  mode: pipeline\n"
        "  timezone: Europe/Madrid\n"
        "  initial_message: Hola\n"
        "  system_prompt: Be brief.\n"
    ),
}


def document(name: str, provider: str, body: str) -> str:
    return HEAD.format(name=name, provider=provider) + body


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "voiceops.yaml").write_text(CONFIG, encoding="utf-8")
    (tmp_path / "assistants").mkdir()
    monkeypatch.chdir(tmp_path)
    return tmp_path


def write(repo: Path, *documents: str, name: str = "a.yaml") -> None:
    (repo / "assistants" / name).write_text("---\n".join(documents), encoding="utf-8")


def run(*args: str) -> Result:
    result = CliRunner().invoke(main, ["validate", *args], env={"GITHUB_ACTIONS": None})
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    return result


def errors(result: Result) -> list[str]:
    """The `path:line:col: message` lines, without the closing count."""
    assert result.exit_code == 1, result.output
    return result.stderr.splitlines()[:-1]


def assert_valid(result: Result, documents: int) -> None:
    assert result.exit_code == 0, result.output
    assert result.stderr == ""
    assert result.stdout == f"{documents} assistant document(s) valid.\n"


# ---- create -------------------------------------------------------------------------------


def test_an_interactly_document_without_id_names_the_way_in(repo: Path) -> None:
    with_id = document("old", "interactly-prod", 'id: "5f7b1b1b1b1b1b1b1b1b1b1b"\nspec: {}\n')
    write(repo, with_id, document("new", "interactly-prod", "spec:\n  name: New\n"))
    assert errors(run()) == [
        "assistants/a.yaml:9:1: interactly documents no endpoint that creates assistants, so "
        "this document needs an id: create the assistant in the Interactly dashboard, then take "
        "it over with voiceops import --provider interactly-prod --id <its id>"
    ]


def test_a_new_edmo_assistant_needs_a_model_with_provider_and_model(repo: Path) -> None:
    write(
        repo,
        document("no-model", "edmo-main", "spec:\n  name: New\n"),
        document("half-model", "edmo-main", "spec:\n  model:\n    temperature: 1\n"),
    )
    reason = CREATE.format(vendor="edmo")
    assert errors(run()) == [
        f"assistants/a.yaml:6:1: spec is missing the required field model, {reason}",
        f"assistants/a.yaml:15:3: spec.model is missing the required fields provider, model, "
        f"{reason}",
    ]


def test_a_new_invent_assistant_needs_a_name(repo: Path) -> None:
    write(repo, document("no-name", "invent-support", "spec:\n  enabled: true\n"))
    assert errors(run()) == [
        f"assistants/a.yaml:6:1: spec is missing the required field name, "
        f"{CREATE.format(vendor='invent')}"
    ]


def test_a_new_autocalls_assistant_needs_what_its_create_requires(repo: Path) -> None:
    write(repo, document("thin", "autocalls-sales", "spec:\n  name: New\n"))
    assert errors(run()) == [
        "assistants/a.yaml:6:1: spec is missing the required fields voice_id, language_id, "
        "type, mode, timezone, initial_message, system_prompt, "
        f"{CREATE.format(vendor='autocalls')}"
    ]


@pytest.mark.parametrize(
    ("mode", "model"), [("pipeline", "llm_model_id"), ("dualplex", "multimodal_model_id")]
)
def test_a_new_autocalls_assistant_needs_the_model_of_its_mode(
    repo: Path, mode: str, model: str
) -> None:
    body = VALID_NEW["autocalls-sales"].replace("  llm_model_id: 3\n", "")
    write(repo, document("no-model", "autocalls-sales", body.replace("pipeline", mode)))
    assert errors(run()) == [
        f"assistants/a.yaml:6:1: spec is missing the required field {model}, "
        f"{CREATE.format(vendor='autocalls')}. Autocalls requires {model} to create an "
        f"assistant in {'pipeline' if mode == 'pipeline' else 'multimodal or dualplex'} mode"
    ]


def test_a_new_legacy_autocalls_assistant_needs_the_older_create_fields(repo: Path) -> None:
    config = (repo / "voiceops.yaml").read_text(encoding="utf-8")
    (repo / "voiceops.yaml").write_text(
        config.replace("    type: autocalls\n", "    type: autocalls\n    fields: legacy\n"),
        encoding="utf-8",
    )
    write(repo, document("thin", "autocalls-sales", "spec:\n  assistant_name: New\n"))
    assert errors(run()) == [
        "assistants/a.yaml:6:1: spec is missing the required fields voice_id, language, "
        "llm_model, calls_direction, engine_type, timezone, initial_message, system_prompt, "
        f"{CREATE.format(vendor='autocalls')}"
    ]


def test_a_new_autocalls_assistant_with_webhooks_on_needs_the_webhook_url(repo: Path) -> None:
    on = VALID_NEW["autocalls-sales"] + "  is_webhook_active: true\n"
    write(
        repo,
        document("missing-url", "autocalls-sales", on),
        document("null-url", "autocalls-sales", on + "  webhook_url: null\n"),
        document(
            "with-url", "autocalls-sales", on + "  webhook_url: https://hooks.example.com/a\n"
        ),
        document(
            "webhooks-off",
            "autocalls-sales",
            VALID_NEW["autocalls-sales"] + "  is_webhook_active: false\n",
        ),
    )
    assert errors(run()) == [
        "assistants/a.yaml:6:1: spec is missing the required field webhook_url, "
        f"{CREATE.format(vendor='autocalls')}. Autocalls requires webhook_url to create an "
        "assistant with is_webhook_active: true",
        "assistants/a.yaml:34:16: webhook_url must be a URL here: Autocalls requires one to "
        "create an assistant with is_webhook_active: true",
    ]


def test_an_assistant_with_an_id_needs_no_create_fields(repo: Path) -> None:
    write(
        repo,
        document("edmo-old", "edmo-main", "id: asst_1\nspec:\n  name: Old\n"),
        document("invent-old", "invent-support", "id: inv_1\nspec:\n  enabled: false\n"),
        document("autocalls-old", "autocalls-sales", "id: 7\nspec:\n  is_webhook_active: true\n"),
    )
    assert_valid(run(), 3)


def test_new_assistants_with_what_their_create_requires_are_valid(repo: Path) -> None:
    write(repo, *(document(f"new-{c}", c, body) for c, body in VALID_NEW.items()))
    assert_valid(run(), 3)


def test_documents_without_id_are_not_duplicates_of_each_other(repo: Path) -> None:
    body = VALID_NEW["invent-support"]
    write(repo, document("one", "invent-support", body), document("two", "invent-support", body))
    assert_valid(run(), 2)
    write(repo, document("one", "invent-support", body), document("one", "invent-support", body))
    assert errors(run()) == [
        "assistants/a.yaml:12:9: duplicate assistant name 'one'; also defined at "
        "assistants/a.yaml:4:9"
    ]


def test_a_spec_for_another_vendor_is_not_also_told_what_create_requires(repo: Path) -> None:
    write(repo, document("mixed", "invent-support", "spec:\n  max_duration: 600\n"))
    [only] = errors(run())
    assert only.startswith("assistants/a.yaml:5:11: connection 'invent-support' is of type ")


# ---- delete -------------------------------------------------------------------------------


def test_ensure_absent_on_a_vendor_without_delete_names_the_alternative(repo: Path) -> None:
    write(
        repo,
        document("gone-invent", "invent-support", "id: inv_1\nensure: absent\n"),
        document(
            "gone-interactly", "interactly-prod", 'id: "5f7b1b1b1b1b1b1b1b1b1b1b"\nensure: absent\n'
        ),
    )
    assert errors(run()) == [
        "assistants/a.yaml:7:9: invent documents no endpoint that deletes assistants; switch it "
        "off with enabled: false in spec instead (and remove the document later)",
        "assistants/a.yaml:15:9: interactly documents no endpoint that deletes assistants; "
        "delete it in the Interactly dashboard and remove the document (removing a document "
        "stops managing it)",
    ]


def test_ensure_absent_needs_an_id(repo: Path) -> None:
    write(repo, document("gone", "edmo-main", "ensure: absent\n"))
    assert errors(run()) == [
        "assistants/a.yaml:6:9: ensure: absent needs the id of the assistant to delete; a "
        "document that never had an id has nothing to delete at the vendor, so remove the "
        "document instead"
    ]


def test_ensure_absent_needs_no_spec_where_the_vendor_deletes(repo: Path) -> None:
    write(
        repo,
        document("gone-edmo", "edmo-main", "id: asst_1\nensure: absent\n"),
        document("gone-autocalls", "autocalls-sales", "id: 7\nensure: absent\n"),
        document("gone-with-spec", "edmo-main", "id: asst_2\nensure: absent\nspec: {name: X}\n"),
        document("kept", "edmo-main", "id: asst_3\nensure: present\nspec: {}\n"),
    )
    assert_valid(run(), 4)


def test_a_spec_is_required_unless_the_document_asks_for_a_delete(repo: Path) -> None:
    write(repo, document("kept", "edmo-main", "id: asst_1\n"))
    assert errors(run()) == [
        "assistants/a.yaml:1:1: the document is missing the required field spec. Only a "
        "document with ensure: absent may leave spec out"
    ]


def test_the_id_form_is_checked_also_for_a_delete(repo: Path) -> None:
    write(repo, document("gone", "autocalls-sales", "id: abc\nensure: absent\n"))
    assert errors(run()) == [
        "assistants/a.yaml:6:5: id 'abc' is not valid here: an Autocalls assistant id is a "
        "positive integer, like 127"
    ]


# ---- report_unmanaged ---------------------------------------------------------------------


def connection(name: str, kind: str, *settings: str) -> str:
    lines = "".join(f"    {s}\n" for s in settings)
    return f"  {name}:\n    type: {kind}\n{lines}"


def test_report_unmanaged_is_accepted_where_the_vendor_lists(repo: Path) -> None:
    config = CONFIG + connection("invent-b", "invent", "token_env: B", "report_unmanaged: true")
    config += connection("autocalls-b", "autocalls", "token_env: C", "report_unmanaged: false")
    (repo / "voiceops.yaml").write_text(config, encoding="utf-8")
    write(repo, document("new", "invent-support", VALID_NEW["invent-support"]))
    assert_valid(run(), 1)
    connections = load_config(repo / "voiceops.yaml", SchemaStore()).connections
    assert connections["invent-b"].setting("report_unmanaged") is True
    assert connections["invent-b"].report_unmanaged is True
    assert connections["autocalls-b"].report_unmanaged is False
    assert connections["invent-support"].setting("report_unmanaged") is None
    assert connections["invent-support"].report_unmanaged is False


def test_report_unmanaged_is_refused_where_the_vendor_does_not_list(repo: Path) -> None:
    lines = CONFIG.count("\n")
    config = CONFIG + connection(
        "edmo-b", "edmo", "email_env: E", "password_env: P", "report_unmanaged: true"
    )
    config += connection("interactly-b", "interactly", "report_unmanaged: false", "token_env: T")
    (repo / "voiceops.yaml").write_text(config, encoding="utf-8")
    write(repo, document("new", "invent-support", VALID_NEW["invent-support"]))
    assert errors(run()) == [
        f"voiceops.yaml:{lines + 5}:5: edmo documents no list of assistants, so voiceops "
        "cannot find unmanaged ones; remove report_unmanaged",
        f"voiceops.yaml:{lines + 8}:5: interactly documents no list of assistants, so voiceops "
        "cannot find unmanaged ones; remove report_unmanaged",
    ]


def test_report_unmanaged_must_be_true_or_false(repo: Path) -> None:
    lines = CONFIG.count("\n")
    config = CONFIG + connection("invent-b", "invent", "token_env: B", "report_unmanaged: 1")
    (repo / "voiceops.yaml").write_text(config, encoding="utf-8")
    write(repo, document("new", "invent-support", VALID_NEW["invent-support"]))
    report = validate([], None)
    shown = [f"{d.location}: {d.message}" for d in report.diagnostics]
    assert shown == [
        f"voiceops.yaml:{lines + 4}:23: providers.invent-b.report_unmanaged must be true or "
        "false, not an integer (1)"
    ]


# ---- what the schemas say, for the offline side and the adapters alike ---------------------


def test_the_starter_repository_stays_valid(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_starter(tmp_path)
    monkeypatch.chdir(tmp_path)
    assert_valid(run(), len(list((tmp_path / "assistants").glob("*.yaml"))))


def test_the_schemas_say_which_vendors_create_delete_and_list() -> None:
    schemas = SchemaStore()
    table = {
        t: (creates(schemas, t), deletes(schemas, t), lists(schemas, t)) for t in PROVIDER_TYPES
    }
    assert table == {
        "interactly": (False, False, False),
        "edmo": (True, True, False),
        "invent": (True, False, True),
        "autocalls": (True, True, True),
    }


@pytest.mark.parametrize("kind", PROVIDER_TYPES)
def test_the_schemas_and_the_adapters_agree(kind: str) -> None:
    schemas = SchemaStore()
    adapter = provider(kind, token_env="T", email_env="E", password_env="P")
    assert creates(schemas, kind) is (adapter.create_target() is not None)
    assert deletes(schemas, kind) is (adapter.delete_target("1") is not None)
    assert lists(schemas, kind) is adapter.lists


def test_a_vendor_without_markers_neither_creates_deletes_nor_lists(tmp_path: Path) -> None:
    toy = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "x-voiceops-vendor": 5,
        "type": "object",
        "$defs": {
            "id": {"type": "string"},
            "connection": {"type": "object", "properties": {"type": {"const": "toy"}}},
        },
    }
    (tmp_path / "toy.schema.json").write_text(json.dumps(toy), encoding="utf-8")
    schemas = SchemaStore(tmp_path)
    assert (creates(schemas, "toy"), deletes(schemas, "toy"), lists(schemas, "toy")) == (
        False,
        False,
        False,
    )
    assert delete_alternative(schemas, "toy") == (
        "delete it in the Toy dashboard and remove the document "
        "(removing a document stops managing it)"
    )
    assert cannot_create("toy", "toy-main") == (
        "toy documents no endpoint that creates assistants, so this document needs an id: "
        "create the assistant in the Toy dashboard, then take it over with "
        "voiceops import --provider toy-main --id <its id>"
    )
    assert cannot_delete(schemas, "toy").startswith(
        "toy documents no endpoint that deletes assistants; delete it in the Toy dashboard"
    )
    assert cannot_list("toy") == (
        "toy documents no list of assistants, so voiceops cannot find unmanaged ones; "
        "remove report_unmanaged"
    )
