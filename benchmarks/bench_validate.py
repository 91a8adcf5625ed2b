"""How many assistant specs per second `voiceops validate` checks.

Generates valid specs for all four vendors (sizes like the examples in assistants/), writes
them as multi-document YAML files with a voiceops.yaml into a temporary directory, and times:

- the full pipeline: `voiceops.spec.validation.validate` (read, YAML parse, schema checks,
  environment references, cross-document checks), as `voiceops validate` runs it;
- YAML parsing alone;
- schema checking alone, on already parsed documents, with one SchemaStore;
- python-jsonschema alone on the same documents, to show what the jsonschema-rs fast
  path saves.

Usage: python benchmarks/bench_validate.py [--count 10000] [--per-file 100] [--repeat 3]
       python benchmarks/bench_validate.py --profile   # cProfile of one full run
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import random
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from voiceops.spec import schema_errors
from voiceops.spec.schemas import SchemaStore
from voiceops.spec.validation import validate
from voiceops.spec.yamlsource import YamlDocument, load_file

CONFIG = """\
assistants: assistants/
providers:
  interactly-prod:
    type: interactly
    token_env: INTERACTLY_API_KEY
  edmo-main:
    type: edmo
    email_env: EDMO_EMAIL
    password_env: EDMO_PASSWORD
  invent-support:
    type: invent
    org_id: c
    token_env: INVENT_API_KEY
  autocalls-sales:
    type: autocalls
    token_env: AUTOCALLS_TOKEN
"""
CONNECTIONS = {
    "interactly": "interactly-prod",
    "edmo": "edmo-main",
    "invent": "invent-support",
    "autocalls": "autocalls-sales",
}
WORDS = [
    "clinic",
    "appointment",
    "caller",
    "policy",
    "refund",
    "order",
    "billing",
    "schedule",
    "support",
    "enrollment",
    "student",
    "demo",
    "pricing",
    "account",
    "transfer",
    "agent",
    "message",
    "voicemail",
    "callback",
    "weekend",
]


def sentence(rng: random.Random, words: int) -> str:
    text = " ".join(rng.choice(WORDS) for _ in range(words))
    return text[0].upper() + text[1:] + "."


def interactly_spec(rng: random.Random, n: int) -> dict[str, Any]:
    provider = rng.choice(["openai", "azure"])
    return {
        "name": f"Clinic Intake {n}",
        "welcomeMessage": sentence(rng, 10),
        "welcomeMessageMode": rng.choice(["assistant-speaks-first", "automatic"]),
        "assistantProvider": provider,
        "assistantModel": rng.choice(["gpt-4o", "gpt-4o-mini"]),
        "assistantSystemPrompt": "\n".join(sentence(rng, 14) for _ in range(4)),
        "assistantTemperature": round(rng.random(), 2),
        "assistantMaxTokens": rng.choice([128, 256, 512]),
        "config": {
            "speech": {
                "stt": {"vendor": "microsoft", "languages": "en-US"},
                "ttsData": [
                    {"vendor": "eleven-labs", "language": "en-US", "voice": f"voice{n % 97}"}
                ],
            }
        },
        "hints": [rng.choice(WORDS) for _ in range(3)],
        "backgroundSound": "disable",
        "maxCallDuration": rng.randint(5, 120),
        "idleTimeout": rng.randint(5, 600),
        "maxIdleMessagesInSequence": rng.randint(1, 5),
        "assistantPredefinedTools": {
            "knowledgeBase": False,
            "endCall": True,
            "appointment": rng.random() < 0.5,
            "volumeControl": False,
            "waitList": False,
            "callForward": False,
        },
        "endCallMessage": sentence(rng, 6),
        "endCallPhrases": ["goodbye", "that's all, thanks"],
        "assistantServer": {
            "url": "https://hooks.example.com/voice",
            "secret": "${env:CLINIC_INTAKE_ASSISTANTSERVER_SECRET}",
            "enabled": True,
            "timeoutSeconds": 20,
            "messages": ["status-update", "end-of-call-report"],
        },
    }


def edmo_spec(rng: random.Random, n: int) -> dict[str, Any]:
    return {
        "name": f"Enrollment Assistant {n}",
        "firstMessage": sentence(rng, 9),
        "firstMessageMode": "assistant-speaks-first",
        "model": {
            "provider": rng.choice(["openai", "anthropic"]),
            "model": "gpt-4o",
            "temperature": round(rng.random() * 2, 2),
        },
        "voice": {"provider": rng.choice(["openai", "11labs", "azure"]), "voiceId": "alloy"},
        "maxDurationSeconds": rng.choice([600, 1200, 1800]),
        "endCallPhrases": ["goodbye", "that's everything"],
    }


def invent_spec(rng: random.Random, n: int) -> dict[str, Any]:
    return {
        "name": f"Support Concierge {n}",
        "enabled": True,
        "config": {
            "language": "auto",
            "model": "gpt-4o",
            "tts": {"model": "eleven_multilingual_v2", "voice_id": "21m00Tcm4TlvDq8ikWAM"},
            "conversation": {
                "thread_mode": "new",
                "enable_transfer_to_human_tool": True,
                "enable_auto_resolve": rng.random() < 0.5,
                "enable_auto_csat": True,
                "suggested_messages": [sentence(rng, 4), sentence(rng, 5)],
            },
            "instructions": "\n".join(sentence(rng, 12) for _ in range(3)),
            "timezone": "Europe/Berlin",
        },
    }


def autocalls_spec(rng: random.Random, n: int) -> dict[str, Any]:
    return {
        "name": f"Sales Outreach {n}",
        "type": rng.choice(["outbound", "inbound"]),
        "timezone": "America/New_York",
        "initial_message": sentence(rng, 12),
        "system_prompt": "\n".join(sentence(rng, 12) for _ in range(3)),
        "max_duration": rng.randint(20, 1200),
        "record": True,
        "fillers": True,
        "reengagement_interval": rng.randint(7, 600),
        "variables": {"company_name": "Acme Cloud", "demo_length": "30 minutes"},
        "post_call_schema": [
            {"name": "team_size", "type": "number", "description": sentence(rng, 6)},
            {"name": "demo_booked", "type": "bool", "description": sentence(rng, 6)},
        ],
        "llm_temperature": round(rng.random(), 2),
        "wait_for_customer": False,
    }


BUILDERS: dict[str, Callable[[random.Random, int], dict[str, Any]]] = {
    "interactly": interactly_spec,
    "edmo": edmo_spec,
    "invent": invent_spec,
    "autocalls": autocalls_spec,
}


def _vendor_id(vendor: str, n: int) -> int | str:
    """An id in the form each vendor gives them."""
    if vendor == "autocalls":
        return n + 1
    if vendor == "interactly":
        return f"{n:024x}"
    return f"asst_{n:08d}"


def document(rng: random.Random, n: int) -> dict[str, Any]:
    vendor = list(BUILDERS)[n % 4]
    return {
        "apiVersion": "voiceops/v1",
        "kind": "Assistant",
        "metadata": {
            "name": f"{vendor}-assistant-{n}",
            "labels": {"team": rng.choice(["care", "sales", "support"])},
        },
        "provider": CONNECTIONS[vendor],
        "id": _vendor_id(vendor, n),
        "spec": BUILDERS[vendor](rng, n),
    }


def write_repository(root: Path, count: int, per_file: int, seed: int = 7) -> int:
    """voiceops.yaml and `count` specs in files of `per_file` documents; returns bytes written."""
    rng = random.Random(seed)
    (root / "voiceops.yaml").write_text(CONFIG, encoding="utf-8")
    directory = root / "assistants"
    directory.mkdir()
    written = 0
    for start in range(0, count, per_file):
        docs = [document(rng, n) for n in range(start, min(count, start + per_file))]
        text = yaml.safe_dump_all(docs, sort_keys=False, allow_unicode=True, width=100)
        (directory / f"batch-{start // per_file:04d}.yaml").write_text(text, encoding="utf-8")
        written += len(text.encode())
    return written


def best_of(repeat: int, run: Callable[[], Any]) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--per-file", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--profile", action="store_true", help="profile one full run instead")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        size = write_repository(root, args.count, args.per_file)
        config = root / "voiceops.yaml"
        files = sorted((root / "assistants").glob("*.yaml"))
        print(f"{args.count} specs in {len(files)} files, {size / 1e6:.1f} MB of YAML")

        def full() -> None:
            report = validate([], config)
            assert report.ok, report.diagnostics[:3]
            assert report.documents == args.count

        if args.profile:
            profiler = cProfile.Profile()
            profiler.runcall(full)
            pstats.Stats(profiler).sort_stats("tottime").print_stats(25)
            return

        docs: list[YamlDocument] = []

        def parse() -> None:
            docs.clear()
            for file in files:
                docs.extend(load_file(file, file.name))

        store = SchemaStore()
        envelope = store.validator("assistant")
        vendor_of = {name: vendor for vendor, name in CONNECTIONS.items()}
        spec_validators = {c: store.validator(v) for c, v in vendor_of.items()}

        def schemas_only() -> None:
            for doc in docs:
                assert not schema_errors.check(envelope, doc.data, doc)
                validator = spec_validators[doc.data["provider"]]
                assert not schema_errors.check(validator, doc.data["spec"], doc, ("spec",))

        def jsonschema_only() -> None:
            for doc in docs:
                assert envelope.explainer.is_valid(doc.data)
                assert spec_validators[doc.data["provider"]].explainer.is_valid(doc.data["spec"])

        figures = {
            "full pipeline (validate)": best_of(args.repeat, full),
            "YAML parsing only": best_of(args.repeat, parse),
            "schema checks only": best_of(args.repeat, schemas_only),
            "python-jsonschema alone, for comparison": best_of(1, jsonschema_only),
        }
        for label, seconds in figures.items():
            rate = args.count / seconds
            print(f"{label:34s} {seconds:7.3f} s  {rate:10,.0f} specs/s")


if __name__ == "__main__":
    main()
