"""`voiceops doctor`: a read-only check of voiceops' model of each vendor against a real
account.

Per connection it asks whether the credentials work, whether answers have the envelope the
adapter expects, and, for every assistant it reads (the managed ones, and every listed one
where the vendor lists), which keys the schema does not know, which values have another
JSON type than the schema's, which readable fields are missing, and which ids have
another form than the vendor's. It sends GET requests only (Edmo's login is a POST that
changes nothing: the cookie it sets is how Edmo authenticates reads).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from voiceops.errors import VoiceopsError
from voiceops.live.httpclient import RequestFailed
from voiceops.live.providers.base import LiveState, Provider
from voiceops.paths import Path as ValuePath
from voiceops.paths import dotted
from voiceops.reconcile.context import RunContext
from voiceops.spec.shape import Shape, findings, missing_fields

# Findings listed per kind and connection at most; the rest are counted.
MAX_LISTED = 50


@dataclass(frozen=True)
class Finding:
    """One way a vendor's answer differs from voiceops' model."""

    kind: str  # unknown-key | type | missing | id-form | envelope | field-set
    assistant: str  # the assistant's id ("" for the connection as a whole)
    path: str = ""
    detail: str = ""


@dataclass
class ConnectionReport:
    connection: str
    vendor: str
    credentials: str = "not checked"  # ok | rejected | not checked
    error: str | None = None
    assistants: int = 0
    findings: list[Finding] = field(default_factory=list)

    @property
    def matches(self) -> bool:
        return self.error is None and not self.findings


@dataclass
class DoctorReport:
    connections: list[ConnectionReport]
    environment: str | None = None  # the environment of voiceops.yaml checked, if any

    @property
    def has_errors(self) -> bool:
        return any(c.error is not None for c in self.connections)

    @property
    def has_findings(self) -> bool:
        return any(c.findings for c in self.connections)


async def run_doctor(run: RunContext, connections: list[str]) -> DoctorReport:
    """Check each of `connections`, all at once."""
    names = list(dict.fromkeys(connections))  # each once, however often it was named
    reports = await asyncio.gather(*(_check_connection(run, name) for name in names))
    return DoctorReport(list(reports), run.project.config.environment)


async def _check_connection(run: RunContext, name: str) -> ConnectionReport:
    vendor = run.project.config.connections[name].type
    report = ConnectionReport(name, vendor)
    try:
        provider, _ = await run.session.connect(name)
        live = await _read_everything(run, provider, name)
    except VoiceopsError as exc:
        report.error = str(exc)
        rejected = "rejected the credentials" in report.error or "401" in report.error
        report.credentials = "rejected" if rejected else "not checked"
        return report
    report.credentials = "ok" if _authenticated(provider, live) else _unproven(live)
    report.assistants = len(live)
    report.findings = list(check_answers(provider, live))
    failed = [f for f in report.findings if f.kind == "read"]
    if failed:  # the model cannot be checked against what could not be read
        report.error = f"reading assistant {failed[0].assistant!r} failed: {failed[0].detail}"
    evidence = provider.field_set_evidence([s for s in live.values() if isinstance(s, dict)])
    if evidence is not None:
        report.findings.append(Finding("field-set", "", "", evidence))
    return report


def _unproven(live: dict[str, LiveState]) -> str:
    return "not proven (no assistant read)" if live else "not checked (nothing to read)"


def _authenticated(provider: Provider, live: dict[str, LiveState]) -> bool:
    """Whether an answer proved the credentials: a list read, a login, or any assistant
    read (a 404 too: only a rejected key is a 401)."""
    logs_in = type(provider).start is not Provider.start
    answered = any(not isinstance(state, RequestFailed) for state in live.values())
    return provider.lists or logs_in or answered


async def _read_everything(run: RunContext, provider: Provider, name: str) -> dict[str, LiveState]:
    """The managed assistants of the connection, and every listed one where the vendor lists."""
    managed = sorted(
        {s.known_id for s in run.project.every_spec if s.connection == name and s.id is not None}
    )
    live: dict[str, LiveState] = {}
    if provider.lists:
        for item in await run.session.list_all(name):
            live[str(provider.live_id(item))] = item
    missing = [i for i in managed if i not in live]
    if missing:
        live.update(await run.session.read(name, missing, whole_connection=False))
    return live


def check_answers(provider: Provider, live: dict[str, LiveState]) -> list[Finding]:
    """What the answers show that voiceops' model of the vendor does not expect."""
    shape = provider.shape
    unreadable = provider.write_only | provider.create_only | provider.read_optional
    found: list[Finding] = []
    for assistant_id, state in live.items():
        if isinstance(state, RequestFailed):
            kind = "envelope" if state.unexpected else "read"
            found.append(Finding(kind, assistant_id, "", state.message))
        elif state is None:
            found.append(Finding("not-found", assistant_id, "", NOT_FOUND))
        elif provider.gone(state):
            found.append(Finding("not-found", assistant_id, "", DELETED))
        else:
            found.extend(_check_one(provider, shape, unreadable, assistant_id, state))
    return found


NOT_FOUND = "a document manages it, but the vendor knows no such assistant (404)"
DELETED = "a document manages it, but the vendor marks it deleted"


def _check_one(
    provider: Provider,
    shape: Shape,
    unreadable: frozenset[tuple[str, ...]],
    assistant_id: str,
    state: dict[str, Any],
) -> list[Finding]:
    found = []
    raw_id = provider.live_id(state)
    if raw_id is not None and not provider.valid_id(str(raw_id)):
        found.append(Finding("id-form", assistant_id, provider.id_field, f"{raw_id!r}"[:80]))
    shaped = provider.to_spec_shape(state)
    for item in findings(shape, shaped):
        kind = "unknown-key" if item.kind == "unknown" else item.kind
        found.append(Finding(kind, assistant_id, dotted(item.path), item.detail))
    for name in missing_fields(shape, shaped, unreadable):
        found.append(Finding("missing", assistant_id, name, "a readable field the read lacks"))
    return found


def unknown_key_summary(provider: Provider, found: Iterable[frozenset[ValuePath]]) -> str | None:
    """One line for plan and drift when live objects carry keys the schema does not know
    (`found`: where each assistant's live state holds them)."""
    listed = sorted({dotted(path) for paths in found for path in paths})
    if not listed:
        return None
    shown = ", ".join(listed[:5]) + (", …" if len(listed) > 5 else "")
    return (
        f"connection {provider.name!r}: live assistants carry keys the schema does not know "
        f"({shown}); voiceops leaves them alone. {DOCTOR_HINT} {provider.name}"
    )


DOCTOR_HINT = "See voiceops doctor --connection"


def is_model_note(warning: str) -> bool:
    """Whether a plan warning is about the vendor's answers (kept in drift reports too)."""
    return DOCTOR_HINT in warning
