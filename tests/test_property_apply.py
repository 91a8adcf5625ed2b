"""Property: for any live assistant and any desired spec (within the vendor's schema, over a
subset of its fields: scalars, nested objects, lists, nulls), `apply` followed by `plan`
finds nothing to change, and no field the spec leaves out changed at the vendor.

One sandbox serves the whole module, in-process (`httpx.ASGITransport`), so that an example
costs milliseconds; each example adds a fresh assistant to it.
"""

from __future__ import annotations

import asyncio
import dataclasses
import itertools
import os
import string
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.integration.apply_helpers import assert_only_managed_changed
from voiceops.cli.apply import run_apply
from voiceops.live.httpclient import RetryPolicy
from voiceops.reconcile.apply import Outcome
from voiceops.reconcile.plan import Status
from voiceops.reconcile.planning import plan_project
from voiceops.reconcile.runner import prepare
from voiceops.sandbox import Sandbox, SandboxOptions
from voiceops.sandbox.standins import STAND_INS

CONNECTIONS = {s.name: s.connection for s in STAND_INS}
ORIGIN = "http://127.0.0.1"
SANDBOX_CONNECTION = ("127.0.0.1", 50000)

# ---- values ---------------------------------------------------------------------------

# Text without `$` (which would start an environment reference) and without control
# characters, but with spaces, punctuation, accents and other scripts.
ALPHABET = string.ascii_letters + string.digits + " .,:;!?'\"-_/()#@&*+=<>[]{}|~^%éüßçø中文😀"
text = st.text(ALPHABET, max_size=12)
words = st.text(ALPHABET, min_size=1, max_size=12)
numbers = st.one_of(st.integers(-1000, 1000), st.integers(-1000, 1000).map(lambda i: i / 8))


def fraction(low: float, high: float) -> st.SearchStrategy[float | int]:
    """Numbers between low and high; a whole one comes as an int or as a float (1 == 1.0)."""
    steps = round((high - low) * 20)
    value = st.integers(0, steps).map(lambda i: round(low + (high - low) * i / steps, 4))
    return st.one_of(value, value.map(lambda v: int(v) if float(v).is_integer() else v))


@st.composite
def some_of(draw: st.DrawFn, fields: dict[str, st.SearchStrategy[Any]], min_size: int = 0) -> Any:
    """A dict holding a random subset of `fields`, in a random order."""
    names = st.sampled_from(sorted(fields))
    chosen = draw(st.lists(names, unique=True, min_size=min_size, max_size=len(fields)))
    return {name: draw(fields[name]) for name in chosen}


free_form = st.recursive(
    st.one_of(st.none(), st.booleans(), numbers, text),
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(words, inner, max_size=3)),
    max_leaves=6,
)

# ---- per vendor: stored record (live) and spec (desired) ----------------------------------
# Each vendor's fields as a tree: a dict is a nested object (any subset of its fields may be
# present), anything else a strategy for the whole value.

Tree = dict[str, Any]


def obj(tree: Tree, *, whole: bool = False, min_size: int = 0) -> st.SearchStrategy[Any]:
    """Objects shaped by `tree`: every field at every level (`whole`), or any subset."""
    fields = {
        name: obj(sub, whole=whole) if isinstance(sub, dict) else sub for name, sub in tree.items()
    }
    return st.fixed_dictionaries(fields) if whole else some_of(fields, min_size)


FORWARD = obj({"phoneNumber": words, "extension": text, "name": words})
ANALYSIS = {"enabled": st.booleans(), "prompt": text, "timeoutSeconds": st.integers(1, 60)}
INTERACTLY: Tree = {
    "name": words,
    "welcomeMessage": text,
    "assistantTemperature": fraction(0, 2),
    "assistantMaxTokens": st.integers(1, 4096),
    "idleTimeout": st.integers(5, 600),
    "backgroundSoundVolume": fraction(1, 100),
    "maxIdleMessagesInSequence": st.integers(1, 5),
    "dtmfInputEnabled": st.booleans(),
    "hints": st.lists(text, max_size=3),
    "assistantServer": {
        "url": words.map(lambda w: "https://hooks.example.com/" + w.replace(" ", "-")),
        "timeoutSeconds": st.integers(1, 60),
        "secret": st.text(string.ascii_letters, min_size=8, max_size=16),
        "headers": st.dictionaries(st.sampled_from(["X-A", "X-B"]), words, max_size=2),
        "enabled": st.booleans(),
        "messages": st.lists(
            st.sampled_from(["status-update", "conversation-update", "end-of-call-report"]),
            max_size=3,
        ),
    },
    "stopSpeakingOptions": {"numberOfWords": st.integers(0, 10), "voiceSeconds": fraction(0, 3)},
    "config": {
        "speech": {
            "stt": {"vendor": words, "languages": words},
            "ttsData": st.lists(
                obj({"vendor": words, "language": words, "voice": words}), max_size=2
            ),
        }
    },
    "callForwardData": st.one_of(FORWARD, st.lists(FORWARD, max_size=2)),
    "assistantAnalysis": {
        "summary": ANALYSIS,
        "successEvaluation": {**ANALYSIS, "rubric": words},
        "structuredData": {**ANALYSIS, "schema": st.dictionaries(words, free_form, max_size=2)},
    },
    "assistantOverrides": {
        "recordingEnabled": st.booleans(),
        "recordingPath": text,
        "dynamicVariables": st.dictionaries(words, text, max_size=3),
    },
}

EDMO: Tree = {
    "name": text,
    "firstMessage": st.none() | text,
    "firstMessageMode": st.none()
    | st.sampled_from(["assistant-speaks-first", "assistant-waits-for-user"]),
    "model": {
        "provider": st.sampled_from(["openai", "anthropic"]),
        "model": words,
        "temperature": fraction(0, 2),
        "maxTokens": st.integers(1, 4096),
    },
    "voice": {"provider": st.sampled_from(["11labs", "azure", "openai"]), "voiceId": words},
    "transcriber": {
        "provider": st.sampled_from(["deepgram", "whisper"]),
        "model": st.none() | words,
    },
    "endCallPhrases": st.none() | st.lists(text, max_size=3),
    "metadata": st.none() | st.dictionaries(words, free_form, max_size=3),
    "maxDurationSeconds": st.none() | st.integers(1, 7200),
}
# Edmo requires provider and model in every update of `model`: a live model has both.
EDMO_LIVE_MODEL = st.fixed_dictionaries(
    {"provider": st.sampled_from(["openai", "anthropic"]), "model": words},
    optional={"temperature": fraction(0, 2), "maxTokens": st.integers(1, 4096)},
)

INVENT: Tree = {
    "name": words,
    "enabled": st.booleans(),
    # write-only: reads show avatar_url (derived from it) instead
    "avatar_id": st.none() | words.map(lambda w: "file_" + w.replace(" ", "_")),
    "config": {
        "language": words,
        "model": words,
        "stt": {"model": words},
        "tts": {"model": words, "voice_id": words},
        "conversation": {
            "thread_mode": words,
            "enable_memories": st.booleans(),
            "enable_auto_csat": st.booleans(),
            "welcome_banner": text,
            "suggested_messages": st.lists(text, max_size=3),
            "auto_intro_message": text,
        },
        "knowledge_scope": words,
        "timezone": st.sampled_from(["UTC", "Europe/Berlin", "America/New_York"]),
        "instructions": text,
    },
}

AUTOCALLS: Tree = {
    "name": text,
    "voice_id": st.integers(1, 50),
    "language_id": st.integers(1, 40),
    "type": st.sampled_from(["inbound", "outbound"]),
    "timezone": st.sampled_from(["UTC", "America/Chicago"]),
    "initial_message": text,
    "system_prompt": text,
    "phone_number_id": st.none() | st.integers(1, 99),
    "post_call_evaluation": st.booleans(),
    "is_webhook_active": st.booleans(),
    "webhook_url": st.none()
    | st.sampled_from(["https://hooks.example.com/a", "http://hooks.example.com/b"]),
    # replaced whole by the vendor; a free-form object to voiceops
    "variables": st.dictionaries(st.text(string.ascii_lowercase, min_size=1), text, max_size=3),
    "post_call_schema": st.lists(
        st.fixed_dictionaries(
            {
                "name": st.text(
                    string.ascii_lowercase + string.digits + "_", min_size=3, max_size=16
                ),
                "type": st.sampled_from(["string", "number", "bool"]),
                "description": st.text(ALPHABET, min_size=3, max_size=12),
            },
        ),
        max_size=2,
    ),
    # listed as 1/0
    "fillers": st.booleans(),
    "end_call_on_voicemail": st.booleans(),
    "reengagement_interval": st.integers(7, 600),
    "max_duration": st.integers(20, 1200),
    "max_silence_duration": st.integers(1, 360),
    "record": st.booleans(),
    # listed as strings ("0.35")
    "llm_temperature": fraction(0, 1),
    "speech_speed": fraction(0.7, 1.2),
    # written flat, listed as {type, data}
    "tools": st.lists(
        st.fixed_dictionaries({"type": st.just("end_call"), "description": text}), max_size=2
    ),
    # write-only: never shown by the list
    "reengagement_prompt": st.none() | text,
    "tts_emotion_enabled": st.booleans(),
    "tool_ids": st.lists(st.integers(1, 20), max_size=3),
}
FIELDS = {"interactly": INTERACTLY, "edmo": EDMO, "invent": INVENT, "autocalls": AUTOCALLS}
# What a spec may change with an update: Invent's newest update page takes no config.stt,
# config.tts or config.conversation (create-only; a difference there is an error).
INVENT_UPDATABLE: Tree = {
    **INVENT,
    "config": {
        k: v for k, v in INVENT["config"].items() if k not in ("stt", "tts", "conversation")
    },
    "boards": st.lists(
        st.fixed_dictionaries({"board_id": words}, optional={"initial_segment_id": words}),
        max_size=2,
    ),
}
DESIRED = {**FIELDS, "invent": INVENT_UPDATABLE}


def live_record(vendor: str) -> st.SearchStrategy[dict[str, Any]]:
    """A live assistant: often with every field set (so that a partial desired object
    meets unmanaged siblings), otherwise with any subset of them."""
    tree = FIELDS[vendor]
    if vendor == "edmo":
        tree = {**tree, "model": EDMO_LIVE_MODEL}
    records = st.one_of(obj(FIELDS[vendor], whole=True), obj(tree))
    return records.map(lambda record: to_stored(vendor, record))


def to_stored(vendor: str, spec: dict[str, Any]) -> dict[str, Any]:
    """A spec (or generated record) in the vendor's stored form."""
    # Every stand-in stores a spec's fields under the spec's names.
    return dict(spec)


@st.composite
def cases(draw: st.DrawFn) -> tuple[str, dict[str, Any], dict[str, Any]]:
    vendor = draw(st.sampled_from(sorted(FIELDS)))
    live = draw(live_record(vendor))
    desired = draw(obj(DESIRED[vendor], min_size=1))
    return vendor, live, desired


# ---- the sandbox and a repository pointing at it -----------------------------------------


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    return Sandbox(SandboxOptions(seed=0, invent_rate_per_minute=0))


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("property-repo")
    (root / "assistants").mkdir()
    providers = {
        name: {"type": vendor, "base_url": f"{ORIGIN}/{vendor}", **settings}
        for vendor, (name, settings) in CONNECTIONS.items()
    }
    config = {"assistants": "assistants/", "providers": providers}
    (root / "voiceops.yaml").write_text(yaml.safe_dump(config), encoding="utf-8")
    return root


_ids = itertools.count(1)


def new_assistant(sb: Sandbox, vendor: str, record: dict[str, Any]) -> str:
    n = next(_ids)
    key = {
        "interactly": ("_id", f"{n:024x}"),
        "edmo": ("id", f"asst_prop_{n}"),
        "invent": ("id", f"asst_prop_{n}"),
        "autocalls": ("id", 10_000 + n),
    }[vendor]
    return sb.add_assistant(vendor, {**record, key[0]: key[1]})


def write_spec(root: Path, vendor: str, assistant_id: str, spec: dict[str, Any]) -> None:
    document = {
        "apiVersion": "voiceops/v1",
        "kind": "Assistant",
        "metadata": {"name": "under-test"},
        "provider": CONNECTIONS[vendor][0],
        "id": int(assistant_id) if vendor == "autocalls" else assistant_id,
        "spec": spec,
    }
    text = yaml.safe_dump(document, sort_keys=False, allow_unicode=True)
    (root / "assistants" / "under-test.yaml").write_text(text, encoding="utf-8")


def run_options(sb: Sandbox, root: Path) -> tuple[Any, Any]:
    project, options = prepare(root / "voiceops.yaml", env=sb.credentials)
    transport = httpx.ASGITransport(app=sb.app, client=SANDBOX_CONNECTION)
    options = dataclasses.replace(
        options,
        transport=transport,
        retry=RetryPolicy(attempts=2, base_delay_s=0.001, max_delay_s=0.002),
    )
    return project, options


# ---- the property -------------------------------------------------------------------------


@settings(
    max_examples=int(os.environ.get("PROP_EXAMPLES", "50")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(case=cases())
def test_apply_then_plan_is_empty_and_nothing_unmanaged_changes(
    sandbox: Sandbox, repo: Path, case: tuple[str, dict[str, Any], dict[str, Any]]
) -> None:
    vendor, live, desired = case
    assistant_id = new_assistant(sandbox, vendor, live)
    write_spec(repo, vendor, assistant_id, desired)
    before = sandbox.stored(vendor, assistant_id)

    project, options = run_options(sandbox, repo)
    report = asyncio.run(
        run_apply(
            project,
            options,
            planfile=None,
            auto_approve=True,
            allow_mass_update=False,
            targets=(),
        )
    )
    assert report is not None
    assert report.ok, report.results
    assert report.results[0].outcome in (Outcome.APPLIED, Outcome.UNCHANGED)

    project, options = run_options(sandbox, repo)
    plan, _ = asyncio.run(plan_project(project, options))
    (assistant,) = plan.assistants
    assert assistant.status is Status.UNCHANGED, assistant.changes or assistant.error

    after = sandbox.stored(vendor, assistant_id)
    managed = to_stored(vendor, desired)
    if "avatar_id" in managed:
        managed["avatar_url"] = "derived by the vendor from avatar_id"
    assert_only_managed_changed(before, after, managed, vendor)
    if report.results[0].outcome is Outcome.UNCHANGED:
        assert after == before
