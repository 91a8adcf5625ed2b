"""The shipped JSON Schemas, the example repository files, and the vendors' own examples."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema import Draft202012Validator

from voiceops.live.providers import PROVIDER_TYPES

ROOT = Path(__file__).resolve().parent.parent
SCHEMAS = ROOT / "schemas"
SEEDS = Path(__file__).resolve().parent / "fixtures" / "seed_examples"
VENDORS = PROVIDER_TYPES
# The Autocalls spec in the older field set, for connections with `fields: legacy`.
FIELD_SETS = ("autocalls-legacy",)
ALL_SCHEMAS = ("assistant", "voiceops-config", *VENDORS, *FIELD_SETS)
DRAFT = "https://json-schema.org/draft/2020-12/schema"
# Keywords whose subschemas are conditions or rule bodies, not property definitions.
CONDITIONAL = {"allOf", "if", "then", "else", "not", "dependentSchemas"}

# The write fields of each Autocalls set that the list does not show.
AUTOCALLS_WRITE_ONLY = {
    "chat_llm_fallback_id",
    "turn_detection_threshold",
    "secondary_language_ids",
    "folder_id",
    "label_ids",
    "tool_ids",
    "tts_emotion_enabled",
    "reengagement_prompt",
    "voice_mail_message",
}
AUTOCALLS_LEGACY_WRITE_ONLY = {
    "llm_model",
    "use_min_interrupt_words",
    "end_call_tool.description",
    "who_speaks_first",
}


def load_schema(name: str) -> dict[str, Any]:
    return json.loads((SCHEMAS / f"{name}.schema.json").read_text(encoding="utf-8"))


def validator(name: str) -> Draft202012Validator:
    return Draft202012Validator(
        load_schema(name), format_checker=Draft202012Validator.FORMAT_CHECKER
    )


def connection_validator(vendor: str) -> Draft202012Validator:
    return Draft202012Validator(
        load_schema(vendor)["$defs"]["connection"],
        format_checker=Draft202012Validator.FORMAT_CHECKER,
    )


def seed(vendor: str) -> dict[str, Any]:
    return json.loads((SEEDS / f"{vendor}.json").read_text(encoding="utf-8"))


def errors(name: str, instance: Any) -> list:
    return list(validator(name).iter_errors(instance))


def error_keys(name: str, instance: Any) -> set[tuple[tuple, str]]:
    """(path in the instance, failing keyword) for every error."""
    return {(tuple(e.absolute_path), e.validator) for e in errors(name, instance)}


def property_nodes(schema: Any, path: tuple = ()):
    """Yield (path, subschema) for every property definition outside conditional rules."""
    if not isinstance(schema, dict):
        return
    for key, value in schema.items():
        if key in CONDITIONAL:
            continue
        if key == "properties":
            for prop, sub in value.items():
                yield (*path, prop), sub
                yield from property_nodes(sub, (*path, prop))
        elif key == "$defs":
            for def_name, sub in value.items():
                yield from property_nodes(sub, (*path, "$defs", def_name))
        elif key in ("items", "additionalProperties"):
            yield from property_nodes(value, path)
        elif key in ("anyOf", "oneOf"):
            for sub in value:
                yield from property_nodes(sub, path)


def annotated(schema: dict, keyword: str) -> set[tuple]:
    return {path for path, sub in property_nodes(schema) if sub.get(keyword) is True}


def config() -> dict[str, Any]:
    return yaml.safe_load((ROOT / "voiceops.yaml").read_text(encoding="utf-8"))


def example_documents() -> list[tuple[Path, dict[str, Any]]]:
    docs = []
    for path in sorted((ROOT / "assistants").glob("*.yaml")):
        for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")):
            docs.append((path, doc))
    return docs


# ------------------------------------------------------------------ the schemas themselves


@pytest.mark.parametrize("name", ALL_SCHEMAS)
def test_schema_is_valid_draft_2020_12(name):
    schema = load_schema(name)
    Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == DRAFT
    assert schema["$id"] == f"urn:voiceops:schema:{name}"
    assert schema["title"].strip()
    assert schema["description"].strip()


@pytest.mark.parametrize("name", ALL_SCHEMAS)
def test_every_property_has_a_description(name):
    missing = [
        "/".join(path)
        for path, sub in property_nodes(load_schema(name))
        if not str(sub.get("description", "")).strip()
    ]
    assert missing == []


@pytest.mark.parametrize("vendor", VENDORS)
def test_vendor_schema_has_connection_and_rejects_unknown_keys(vendor):
    schema = load_schema(vendor)
    assert schema["additionalProperties"] is False
    assert "required" not in schema, "no spec field may be required"
    conn = schema["$defs"]["connection"]
    assert conn["properties"]["type"]["const"] == vendor
    assert conn["additionalProperties"] is False
    assert errors(vendor, {"noSuchField": 1})


@pytest.mark.parametrize("vendor", VENDORS)
def test_spec_schemas_write_no_defaults(vendor):
    schema = copy.deepcopy(load_schema(vendor))
    del schema["$defs"]
    assert '"default"' not in json.dumps(schema)


@pytest.mark.parametrize("name", ALL_SCHEMAS)
def test_closed_objects_everywhere_documented(name):
    open_objects = {
        ("assistantOverrides", "dynamicVariables"),
        ("assistantServer", "headers"),
        ("assistantAnalysis", "structuredData", "schema"),
        ("metadata",),
        ("variables",),
        # An Autocalls built-in tool: its settings depend on its type.
        ("tools",),
        ("metadata", "labels"),
        ("providers",),
        ("spec",),
        # Maps keyed by environment name, and the merge patches they hold.
        ("environments",),
        ("environments", "providers"),
        ("$defs", "environments"),
        ("$defs", "environments", "spec"),
        # review.labels: vendor type -> field -> labels.
        ("review", "labels"),
        # A policy's label selector (a map), and its schema (any JSON Schema).
        ("policies", "select", "labels"),
        ("policies", "schema"),
    }
    for path, sub in property_nodes(load_schema(name)):
        types = sub.get("type")
        is_object = types == "object" or (isinstance(types, list) and "object" in types)
        if is_object and path not in open_objects:
            assert sub.get("additionalProperties") is False, "/".join(path)


# ------------------------------------------------------------------ annotations


def test_write_only_fields_are_the_ones_reads_never_show():
    assert annotated(load_schema("autocalls"), "x-voiceops-write-only") == {
        (name,) for name in AUTOCALLS_WRITE_ONLY
    }
    assert annotated(load_schema("autocalls-legacy"), "x-voiceops-write-only") == {
        (name,) for name in AUTOCALLS_LEGACY_WRITE_ONLY
    }
    # Invent reads show avatar_url, never the avatar_id that updates take.
    assert annotated(load_schema("invent"), "x-voiceops-write-only") == {("avatar_id",)}
    for vendor in ("interactly", "edmo"):
        assert annotated(load_schema(vendor), "x-voiceops-write-only") == set()


def test_sensitive_fields():
    assert annotated(load_schema("interactly"), "x-voiceops-sensitive") == {
        ("assistantServer", "secret"),
        ("assistantServer", "headers"),
    }
    for vendor in ("edmo", "invent", "autocalls", "autocalls-legacy"):
        assert annotated(load_schema(vendor), "x-voiceops-sensitive") == set()


def test_max_call_duration_carries_a_hint():
    sub = load_schema("interactly")["properties"]["maxCallDuration"]
    assert sub["minimum"] == 1
    assert sub["maximum"] == 120
    assert "minutes" in sub["x-voiceops-hint"]


def test_cross_field_errors_carry_their_own_message():
    errs = errors("interactly", {"endCallMessage": "Bye"})
    assert len(errs) == 1
    assert "assistantPredefinedTools.endCall" in errs[0].schema["x-voiceops-error"]


# ------------------------------------------------------------------ example repository files


def test_config_example_validates():
    cfg = config()
    validator("voiceops-config").validate(cfg)
    assert cfg["assistants"] == "assistants/"
    assert {name: conn["type"] for name, conn in cfg["providers"].items()} == {
        "interactly-prod": "interactly",
        "edmo-main": "edmo",
        "invent-support": "invent",
        "autocalls-sales": "autocalls",
    }
    for conn in cfg["providers"].values():
        connection_validator(conn["type"]).validate(conn)
    first = (ROOT / "voiceops.yaml").read_text(encoding="utf-8").splitlines()[0]
    assert first == "# yaml-language-server: $schema=schemas/voiceops-config.schema.json"


def test_there_is_one_example_per_vendor():
    types = config()["providers"]
    used = sorted(types[doc["provider"]]["type"] for _, doc in example_documents())
    assert used == sorted(VENDORS)


@pytest.mark.parametrize(
    ("path", "doc"), example_documents(), ids=lambda v: v.name if isinstance(v, Path) else ""
)
def test_example_assistant_validates(path, doc):
    first = path.read_text(encoding="utf-8").splitlines()[0]
    assert first == "# yaml-language-server: $schema=../schemas/assistant.schema.json"
    validator("assistant").validate(doc)
    vendor = config()["providers"][doc["provider"]]["type"]
    assert [e.message for e in errors(vendor, doc["spec"])] == []


# ------------------------------------------------------------------ the vendors' own examples


@pytest.mark.parametrize("vendor", ["edmo", "invent", "autocalls", "autocalls-legacy"])
def test_vendor_example_validates(vendor):
    # The older Autocalls page showed no request body; that fixture sets every write field of
    # the older set. The current create page's examples are used as they are.
    assert [e.message for e in errors(vendor, seed(vendor))] == []


def test_autocalls_create_examples_of_every_mode_validate_with_create_rules():
    create = {**load_schema("autocalls"), "allOf": [{"$ref": "#/$defs/create"}]}
    check = Draft202012Validator(create)
    examples = {"pipeline": seed("autocalls"), **seed("autocalls-modes")}
    for mode, example in examples.items():
        assert example["mode"] == mode
        assert [e.message for e in check.iter_errors(example)] == [], mode
    without_model = {k: v for k, v in examples["dualplex"].items() if k != "multimodal_model_id"}
    assert not check.is_valid(without_model)


def test_autocalls_legacy_fixture_covers_every_field():
    legacy = load_schema("autocalls-legacy")["properties"]
    assert set(seed("autocalls-legacy")) == set(legacy)


def test_each_legacy_counterpart_is_a_current_field():
    current = load_schema("autocalls")["properties"]
    for name, sub in load_schema("autocalls-legacy")["properties"].items():
        counterpart = sub.get("x-voiceops-counterpart")
        assert counterpart is None or (counterpart in current and name not in current), name


@pytest.mark.parametrize("name", ["autocalls", "autocalls-legacy"])
def test_autocalls_schemas_name_their_sources(name):
    sources = load_schema(name)["x-voiceops-source"]
    assert sources
    for source in sources:
        assert set(source) == {"url", "read", "what"}
        assert source["url"].startswith("https://")
        assert source["read"] == "2026-12-06"


def test_interactly_example_fails_only_where_the_page_contradicts_itself():
    body = seed("interactly")
    # The page's example says 900 for a field it documents as 1-120 minutes, and it fills in
    # fields that its own text allows only together with switches the example leaves off.
    assert error_keys("interactly", body) == {
        (("maxCallDuration",), "maximum"),
        (("endCallMessage",), "not"),
        (("endCallToolDescription",), "not"),
        (("endCallPhrases",), "not"),
        (("assistantKnowledgeBaseIds",), "not"),
        (("assistantLLMUrl",), "not"),
        (("assistantLLMUrl",), "pattern"),  # the placeholder "<string>" is not a URL
    }
    [duration] = [e for e in errors("interactly", body) if e.validator == "maximum"]
    assert "minutes" in duration.schema["x-voiceops-hint"]

    body["maxCallDuration"] = 15
    body["assistantPredefinedTools"].update(endCall=True, knowledgeBase=True)
    del body["assistantLLMUrl"]
    assert [e.message for e in errors("interactly", body)] == []


def test_interactly_example_covers_every_field():
    # ttsCacheEnabled comes from the assistant object of the server-message page, which
    # the seed's example predates.
    documented = {*seed("interactly"), "ttsCacheEnabled"}
    assert documented == set(load_schema("interactly")["properties"])


# ------------------------------------------------------------------ cross-field rules


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("endCallMessage", "Goodbye!"),
        ("endCallToolDescription", "Hang up when the caller is done."),
        ("endCallPhrases", ["bye"]),
    ],
)
def test_end_call_fields_need_end_call_tool(field, value):
    assert error_keys("interactly", {field: value}) == {((field,), "not")}
    off = {"assistantPredefinedTools": {"endCall": False}, field: value}
    assert error_keys("interactly", off) == {((field,), "not")}
    on = {"assistantPredefinedTools": {"endCall": True}, field: value}
    assert errors("interactly", on) == []


def test_knowledge_base_ids_need_knowledge_base_tool():
    spec = {"assistantKnowledgeBaseIds": ["kb_1"]}
    assert error_keys("interactly", spec) == {(("assistantKnowledgeBaseIds",), "not")}
    spec["assistantPredefinedTools"] = {"knowledgeBase": True}
    assert errors("interactly", spec) == []


def test_llm_url_needs_custom_llm():
    url = {"assistantLLMUrl": "https://llm.example.com/v1"}
    assert error_keys("interactly", url) == {(("assistantLLMUrl",), "not")}
    assert error_keys("interactly", {**url, "assistantProvider": "openai"}) == {
        (("assistantLLMUrl",), "not")
    }
    assert errors("interactly", {**url, "assistantProvider": "custom-llm"}) == []


@pytest.mark.parametrize(
    ("provider", "model", "ok"),
    [
        ("openai", "gpt-3.5-turbo", True),
        ("azure", "gpt-3.5-turbo", False),
        ("gemini", "gemini-1.5-pro-latest", True),
        ("deepseek", "V3", True),
        ("bedrock", "gpt-4o", False),
        ("bedrock", "meta.llama3-1-8b-instruct", True),
        ("custom-llm", "my-fine-tune", True),
    ],
)
def test_model_must_match_provider(provider, model, ok):
    errs = errors("interactly", {"assistantProvider": provider, "assistantModel": model})
    assert (errs == []) is ok
    if not ok:
        assert provider in errs[0].schema["x-voiceops-error"]


def test_model_alone_is_not_checked_against_a_provider():
    assert errors("interactly", {"assistantModel": "anything-new"}) == []


# ------------------------------------------------------------------ single-field checks


@pytest.mark.parametrize(
    ("vendor", "spec", "ok"),
    [
        ("interactly", {"maxCallDuration": 120}, True),
        ("interactly", {"maxCallDuration": 0}, False),
        ("interactly", {"idleTimeout": 4}, False),
        ("interactly", {"backgroundSound": "enable"}, True),
        ("interactly", {"backgroundSound": "https://cdn.example.com/office.mp3"}, True),
        ("interactly", {"backgroundSound": "http://cdn.example.com/office.mp3"}, False),
        ("interactly", {"backgroundSound": "https://x/" + "a" * 1000}, False),
        ("interactly", {"welcomeMessageMode": "whenever"}, False),
        ("interactly", {"callForwardData": {"phoneNumber": "+15551234567"}}, True),
        (
            "interactly",
            {"callForwardData": [{"phoneNumber": "+15551234567", "name": "desk"}]},
            True,
        ),
        ("interactly", {"callForwardData": {"phone": "+15551234567"}}, False),
        ("interactly", {"assistantServer": {"url": "${env:HOOK_URL}"}}, True),
        ("interactly", {"assistantServer": {"secret": "${env:HOOK_SECRET}"}}, True),
        ("interactly", {"assistantServer": {"headers": {"X-Key": "${env:HOOK_KEY}"}}}, True),
        ("interactly", {"assistantServer": {"headers": {"X-Retries": 3}}}, False),
        ("interactly", {"assistantServer": {"messages": ["transcript"]}}, False),
        ("interactly", {"assistantOverrides": {"dynamicVariables": {"a": 1, "b": "x"}}}, True),
        ("interactly", {"config": {"speech": {"stt": {"vendor": "microsoft", "x": 1}}}}, False),
        ("edmo", {"model": {"temperature": 0.2}}, True),
        ("edmo", {"model": {"temperature": 2.5}}, False),
        ("edmo", {"model": {"provider": "google"}}, False),
        ("edmo", {"firstMessage": None, "firstMessageMode": None, "endCallPhrases": None}, True),
        ("edmo", {"name": None}, False),
        ("edmo", {"metadata": {"anything": {"goes": [1, 2]}}}, True),
        ("edmo", {"transcriber": {"provider": "whisper", "model": None}}, True),
        ("invent", {"name": ""}, False),
        ("invent", {"name": "x" * 1025}, False),
        ("invent", {"avatar_id": None}, True),
        ("invent", {"config": {"conversation": {"enable_update_contact_tool": True}}}, False),
        ("invent", {"config": {"conversation": {"suggested_messages": ["Hi"]}}}, True),
        ("autocalls-legacy", {"end_call_tool.description": "x" * 501}, False),
        ("autocalls-legacy", {"calls_direction": "outbound"}, False),
        ("autocalls-legacy", {"max_call_duration": 19}, False),
        ("autocalls-legacy", {"max_silence_duration": 121}, False),
        ("autocalls-legacy", {"name": "Sales"}, False),
        ("autocalls", {"assistant_name": "Sales"}, False),
        ("autocalls", {"type": "receive"}, False),
        ("autocalls", {"max_duration": 19}, False),
        ("autocalls", {"max_silence_duration": 360}, True),
        ("autocalls", {"max_silence_duration": 361}, False),
        ("autocalls", {"initial_message": "x" * 200}, True),
        ("autocalls", {"initial_message": "x" * 201}, False),
        ("autocalls", {"speech_speed": 1.3}, False),
        ("autocalls", {"turn_detection_threshold": None}, True),
        ("autocalls", {"ringing_time": 61}, False),
        ("autocalls", {"phone_number_id": None, "webhook_url": None}, True),
        ("autocalls", {"webhook_url": "${env:SALES_WEBHOOK_URL}"}, True),
        ("autocalls", {"voice_id": "12"}, False),
        ("autocalls", {"post_call_schema": [{"name": "Team", "type": "string"}]}, False),
        (
            "autocalls",
            {"post_call_schema": [{"name": "team", "type": "string", "description": "ab"}]},
            False,
        ),
        (
            "autocalls",
            {"post_call_schema": [{"name": "team", "type": "date", "description": "abc"}]},
            False,
        ),
        ("autocalls", {"mode": "dualplex", "knowledgebase_mode": "prompt"}, False),
        ("autocalls", {"mode": "pipeline", "knowledgebase_mode": "prompt"}, True),
        ("autocalls", {"mode": "multimodal", "allow_interruptions": False}, False),
        ("autocalls", {"allow_interruptions": False}, True),
        ("autocalls", {"mode": "dualplex", "fillers": True}, False),
        ("autocalls", {"tools": [{"type": "end_call", "description": "Bye."}]}, True),
        ("autocalls", {"tools": [{"type": "teleport"}]}, False),
        ("autocalls", {"tools": [{"type": "calendar_integration", "calcom_api_key": "k"}]}, False),
        ("autocalls", {"filler_config": {"positive": ["Great!"], "angry": []}}, False),
        ("autocalls", {"variables": {"anything": "goes"}}, True),
    ],
)
def test_field_rules(vendor, spec, ok):
    assert (errors(vendor, spec) == []) is ok


# ------------------------------------------------------------------ envelope and config


def minimal_document(**changes: Any) -> dict[str, Any]:
    doc = {
        "apiVersion": "voiceops/v1",
        "kind": "Assistant",
        "metadata": {"name": "front-desk"},
        "provider": "interactly-prod",
        "id": "abc",
        "spec": {},
    }
    doc.update(changes)
    return doc


@pytest.mark.parametrize(
    ("changes", "ok"),
    [
        ({}, True),
        ({"id": 127}, True),
        ({"id": 0}, False),
        ({"id": ""}, False),
        ({"metadata": {"name": "Front-Desk"}}, False),
        ({"metadata": {"name": "-desk"}}, False),
        ({"metadata": {"name": "a" * 64}}, False),
        ({"metadata": {"name": "desk", "labels": {"team": "care"}, "description": "x"}}, True),
        ({"metadata": {"name": "desk", "labels": {"tier": 1}}}, False),
        ({"apiVersion": "voiceops/v2"}, False),
        ({"kind": "Tool"}, False),
        ({"extra": True}, False),
        ({"spec": []}, False),
    ],
)
def test_assistant_envelope(changes, ok):
    assert (errors("assistant", minimal_document(**changes)) == []) is ok


def test_assistant_envelope_requires_everything_but_the_id():
    for key in ("apiVersion", "kind", "metadata", "provider", "spec"):
        doc = minimal_document()
        del doc[key]
        assert errors("assistant", doc), key
    doc = minimal_document()
    del doc["id"]
    assert errors("assistant", doc) == []


@pytest.mark.parametrize(
    ("changes", "ok"),
    [
        ({"ensure": "present"}, True),
        ({"ensure": "absent"}, True),
        ({"ensure": "gone"}, False),
        ({"ensure": "absent", "spec": None}, True),
        ({"ensure": "present", "spec": None}, False),
        ({"ensure": "absent", "id": None}, False),
    ],
)
def test_ensure_absent_needs_the_id_but_no_spec(changes, ok):
    doc = {k: v for k, v in minimal_document(**changes).items() if v is not None}
    assert (errors("assistant", doc) == []) is ok


@pytest.mark.parametrize(
    ("cfg", "ok"),
    [
        ({}, True),
        ({"safety": {"max_update_share": 1.5}}, False),
        ({"safety": {"min_managed": 0}}, False),
        ({"concurrency": 0}, False),
        ({"lenient": True, "write_only_record": ".voiceops/wo.json"}, True),
        ({"providers": {"Prod": {"type": "interactly"}}}, False),
        ({"providers": {"prod": {"token_env": "X"}}}, False),
        ({"providers": {"prod": {"type": "interactly", "anything": 1}}}, True),
        ({"unknown": 1}, False),
    ],
)
def test_config_rules(cfg, ok):
    assert (errors("voiceops-config", cfg) == []) is ok


@pytest.mark.parametrize(
    ("vendor", "conn", "ok"),
    [
        ("interactly", {"type": "interactly", "token_env": "KEY"}, True),
        ("interactly", {"type": "interactly"}, False),
        ("interactly", {"type": "edmo", "token_env": "KEY"}, False),
        ("interactly", {"type": "interactly", "token_env": "1KEY"}, False),
        ("interactly", {"type": "interactly", "token_env": "K", "base_url": "ftp://x"}, False),
        (
            "interactly",
            {"type": "interactly", "token_env": "K", "base_url": "http://127.0.0.1:8080"},
            True,
        ),
        ("edmo", {"type": "edmo", "email_env": "E"}, False),
        ("edmo", {"type": "edmo", "email_env": "E", "password_env": "P", "timeout_s": 0}, False),
        ("invent", {"type": "invent", "token_env": "K", "org_id": "c", "concurrency": 4}, True),
        ("invent", {"type": "invent", "token_env": "K", "concurrency": 0}, False),
        ("autocalls", {"type": "autocalls", "token_env": "K", "timeout_s": 2.5}, True),
        ("autocalls", {"type": "autocalls", "token_env": "K", "token": "secret"}, False),
    ],
)
def test_connection_rules(vendor, conn, ok):
    assert (list(connection_validator(vendor).iter_errors(conn)) == []) is ok


@pytest.mark.parametrize("vendor", ["interactly", "edmo", "invent", "autocalls"])
def test_every_vendor_schema_names_the_pages_it_follows(vendor: str) -> None:
    sources = load_schema(vendor)["x-voiceops-source"]
    assert sources
    for source in sources:
        assert source["url"].startswith("https://")
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", source["read"])
        assert source["what"]
