"""`Plan` and `AssistantPlan`, and the documented JSON form they are saved in.

The JSON form is the plan file and the output of `--format json`. It never holds a secret:
sensitive values are marked, and request bodies carry `{"$secret": …}` references.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import re
import stat
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

from voiceops import __version__
from voiceops.errors import VoiceopsError
from voiceops.live.providers.base import UpdateRequest
from voiceops.reconcile.changes import ABSENT, UNKNOWN_WRITE_ONLY, Change
from voiceops.textsafety import json_safe

# 4 added each change's `origin` and `labels`, and each assistant's `labels`; 3 added
# create, adopt and delete (an id may be null, a delete's body is null); 2 spelled an
# assistant that matches git `unchanged` (1 spelled it `no-change`). All are read.
FORMAT_VERSION = 4
READABLE_VERSIONS = (1, 2, 3, 4)


class Status(StrEnum):
    """An assistant's plan outcome, spelt the same in the JSON form and every renderer."""

    UPDATE = "update"
    CREATE = "create"  # no id yet: apply creates it and writes its id into the document
    ADOPT = "adopt"  # no id yet, but an unmanaged live assistant has its name: taken over
    DELETE = "delete"  # ensure: absent, and the vendor still has it
    UNCHANGED = "unchanged"
    ERROR = "error"


# What a plan would do for an assistant, before errors and "nothing to do" are told apart.
class Action(StrEnum):
    UPDATE = "update"
    CREATE = "create"
    ADOPT = "adopt"
    DELETE = "delete"


# The statuses apply acts on, and those that count toward the safety threshold.
CHANGING = (Status.UPDATE, Status.CREATE, Status.ADOPT, Status.DELETE)
RISKY = (Status.UPDATE, Status.DELETE)


# Canonical JSON: keys sorted, no spaces (json.dumps with these settings, built once).
_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def canonical_json(value: Any) -> str:
    """`value` as one JSON text that equal values always share."""
    return _CANONICAL.encode(value)


def digest(data: dict[str, Any]) -> str:
    """A digest of a JSON object: a live state as read, or a spec."""
    # surrogatepass: a vendor may send a lone surrogate escape (half an emoji), which
    # json.loads accepts and strict UTF-8 cannot encode.
    canonical = canonical_json(data).encode("utf-8", "surrogatepass")
    return "sha256:" + hashlib.sha256(canonical).hexdigest()


# Spellings of older plan files, still read.
_OLD_STATUSES = {"no-change": Status.UNCHANGED}


@dataclass(frozen=True)
class Unmanaged:
    """A live assistant that no document manages (listed with `report_unmanaged: true`)."""

    connection: str
    provider_type: str
    id: str
    name: str


@dataclass
class AssistantPlan:
    name: str
    connection: str
    provider_type: str
    # None for an assistant still to be created; for an adopted one, the id it takes over.
    id: str | None
    source: str
    changes: list[Change] = field(default_factory=list)
    action: Action = Action.UPDATE
    # The real request (with secret values) exists only in memory; `template` is what is saved.
    request: UpdateRequest | None = None
    template: dict[str, Any] | None = None
    error: str | None = None
    # The live state this plan was made against (memory only; apply reuses it) and the
    # spec it was made from. Their digests are worked out only when first asked for (a
    # plan file, JSON, an apply), once both are set; neither is ever changed.
    live_raw: dict[str, Any] | None = field(default=None, repr=False)
    spec_data: dict[str, Any] | None = field(default=None, repr=False)
    # Drift only: changes made in git since the last apply, not applied yet (not drift).
    not_applied: list[Change] = field(default_factory=list)
    # Where live state holds keys the schema does not know (memory only; for the one line
    # plan and drift print per connection that carries any).
    unknown_keys: frozenset[tuple[str | int, ...]] = field(default=frozenset(), repr=False)

    # Cached: a fresh apply compares a plan with the request rebuilt from it.
    @functools.cached_property
    def fingerprint(self) -> str | None:
        return None if self.live_raw is None else digest(self.live_raw)

    @functools.cached_property
    def spec_digest(self) -> str:
        return "" if self.spec_data is None else digest(self.spec_data)

    @property
    def status(self) -> Status:
        if self.error is not None:
            return Status.ERROR
        if self.action is Action.UPDATE:
            return Status.UPDATE if self.changes else Status.UNCHANGED
        if self.action is Action.DELETE and self.request is None:
            return Status.UNCHANGED  # the vendor no longer has it: converged
        return Status(self.action.value)

    @property
    def labels(self) -> tuple[str, ...]:
        """What the plan touches: its changes' risk labels, and `create` or `delete`."""
        found = [label for c in self.changes for label in c.labels]
        if self.status in (Status.CREATE, Status.DELETE):
            found.insert(0, self.status.value)
        return tuple(dict.fromkeys(found))

    @property
    def write_only_fields(self) -> list[str]:
        return [c.field for c in self.changes if c.write_only]


@dataclass
class Plan:
    assistants: list[AssistantPlan]
    managed: int
    warnings: list[str] = field(default_factory=list)
    created_at: str = field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))
    # Live assistants no document manages, on connections with `report_unmanaged: true`.
    unmanaged: list[Unmanaged] = field(default_factory=list)
    # The environment of voiceops.yaml it was made for (None: the project defines none).
    environment: str | None = None
    # The plan file it was read from, when apply shows a saved plan (never written out).
    saved_in: str | None = None

    def with_status(self, status: Status) -> list[AssistantPlan]:
        return [a for a in self.assistants if a.status is status]

    @property
    def has_changes(self) -> bool:
        return any(a.status in CHANGING for a in self.assistants)

    @property
    def has_errors(self) -> bool:
        return bool(self.with_status(Status.ERROR))


def mass_update_warning(updates: int, managed: int, share: float, minimum: int) -> str | None:
    """The octoDNS-style safety check: too large a share of assistants changing at once
    (`updates` counts deletes too)."""
    if managed < minimum or not managed or updates / managed <= share:
        return None
    return (
        f"this would update or delete {updates} of {managed} managed assistants "
        f"({updates / managed:.0%}), more than the {share:.0%} safety threshold; apply needs "
        "--allow-mass-update"
    )


# ---- JSON form ------------------------------------------------------------------------


def change_to_dict(change: Change) -> dict[str, Any]:
    before_absent = change.before is ABSENT
    unreadable = change.write_only or change.before == UNKNOWN_WRITE_ONLY
    return {
        "path": change.field,
        "path_parts": list(change.path),
        "sensitive": change.sensitive,
        "write_only": change.write_only,
        "before_known": not before_absent and not unreadable,
        "before_absent": before_absent,
        "before": None if change.sensitive or before_absent or change.write_only else change.before,
        "after": None if change.sensitive else change.after,
        "origin": change.origin,
        "labels": list(change.labels),
    }


def plan_to_dict(plan: Plan) -> dict[str, Any]:
    return {
        "format_version": FORMAT_VERSION,
        "voiceops_version": __version__,
        "created_at": plan.created_at,
        "summary": {
            "managed": plan.managed,
            **{status.value: len(plan.with_status(status)) for status in Status},
        },
        "warnings": plan.warnings,
        "assistants": [_assistant_to_dict(a) for a in plan.assistants],
        "unmanaged": [
            {"connection": u.connection, "provider": u.provider_type, "id": u.id, "name": u.name}
            for u in plan.unmanaged
        ],
        # Only with environments: the form of other plans stays as it was.
        **({"environment": plan.environment} if plan.environment is not None else {}),
    }


def _assistant_to_dict(a: AssistantPlan) -> dict[str, Any]:
    item: dict[str, Any] = {
        "name": a.name,
        "connection": a.connection,
        "provider": a.provider_type,
        "id": a.id,
        "source": a.source,
        "status": a.status.value,
        "error": a.error,
        "changes": [change_to_dict(c) for c in a.changes],
        "labels": list(a.labels),
        "fingerprint": a.fingerprint,
        "spec_digest": a.spec_digest,
        "request": None,
    }
    if a.not_applied:
        item["not_applied"] = [change_to_dict(c) for c in a.not_applied]
    if a.request is not None and (a.template is not None or a.request.body is None):
        item["request"] = {"method": a.request.method, "path": a.request.path, "body": a.template}
    return item


def dump(plan: Plan) -> str:
    return json_safe(json.dumps(plan_to_dict(plan), indent=2, ensure_ascii=False) + "\n")


@dataclass(frozen=True)
class SavedAssistant:
    """One assistant as a plan file recorded it."""

    name: str
    connection: str
    id: str | None
    status: Status
    fingerprint: str | None
    spec_digest: str
    method: str | None
    path: str | None
    body: dict[str, Any] | None
    changes: tuple[Change, ...] = ()
    provider: str = ""
    source: str = ""
    error: str | None = None

    def as_plan(self) -> AssistantPlan:
        """What the plan file says about it, for showing before it is applied."""
        actions = {s.value: a for s in Status for a in Action if a.value == s.value}
        action = actions.get(self.status.value, Action.UPDATE)
        request = None
        if self.method is not None and self.path is not None:
            request = UpdateRequest(self.method, self.path, self.body)
        return AssistantPlan(
            self.name,
            self.connection,
            self.provider,
            self.id,
            self.source,
            changes=list(self.changes),
            action=action,
            request=request,
            template=self.body,
            error=self.error if self.status is Status.ERROR else None,
        )

    @classmethod
    def from_plan(cls, plan: AssistantPlan) -> SavedAssistant:
        """What a plan file made from `plan` would say: the request as its template (with
        secret references), never the values."""
        request = plan.request
        if request is not None and plan.template is None and request.body is not None:
            request = None  # a request without its template is never saved
        return cls(
            name=plan.name,
            connection=plan.connection,
            id=plan.id,
            status=plan.status,
            fingerprint=plan.fingerprint,
            spec_digest=plan.spec_digest,
            method=request.method if request else None,
            path=request.path if request else None,
            body=plan.template if request else None,
            changes=tuple(plan.changes),
            provider=plan.provider_type,
            source=plan.source,
            error=plan.error,
        )


def load_saved(text: str, source: str, environment: str | None = None) -> list[SavedAssistant]:
    """The assistants of a plan file made for `environment`. Anything but the documented
    shape is refused with one sentence: a plan file travels as a CI artifact and is read as
    untrusted input; so is a plan of another environment."""
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):
        raise VoiceopsError(f"{source} is not a voiceops plan file: it is not JSON") from None
    version = data.get("format_version") if isinstance(data, dict) else None
    if version not in READABLE_VERSIONS or isinstance(version, bool):
        raise VoiceopsError(
            f"{source} is not a voiceops plan file of format_version {FORMAT_VERSION} (or 1)"
        )
    _check_types(data, _TOP_LEVEL, "", source)
    _check_environment(data.get("environment"), environment, source)
    assistants = data.get("assistants")
    if not isinstance(assistants, list):
        raise _malformed(source, "assistants", "a list")
    return [_saved_assistant(item, f"assistants[{n}]", source) for n, item in enumerate(assistants)]


# The form voiceops.yaml gives environment names (its schema's propertyNames).
_ENVIRONMENT_NAME = re.compile(r"[a-z0-9][a-z0-9-]{0,62}")


def _check_environment(planned: str | None, environment: str | None, source: str) -> None:
    if planned == environment:
        return
    if planned is not None and not _ENVIRONMENT_NAME.fullmatch(planned):
        # Checked before it is quoted back in a suggested command.
        raise _malformed(source, "environment", "an environment name")
    if planned is None:
        message = f"{source} was planned without --env; plan again with --env {environment}"
    else:
        message = f"{source} is a plan for the environment {planned!r}"
        message += f", not {environment!r}" if environment else " (voiceops.yaml defines none)"
        message += "; apply it with --env " + planned if environment else ""
    raise VoiceopsError(message)


# The other fields of the documented shape: checked when present, so that a file edited into
# another shape is refused as a whole rather than half read.
_TOP_LEVEL: dict[str, tuple[type, ...]] = {
    "voiceops_version": (str,),
    "created_at": (str,),
    "summary": (dict,),
    "warnings": (list,),
    "environment": (str,),
}
_PER_ASSISTANT: dict[str, tuple[type, ...]] = {
    "provider": (str,),
    "source": (str,),
    "error": (str, type(None)),
    "changes": (list,),
}


def _check_types(
    data: dict[str, Any], shape: dict[str, tuple[type, ...]], at: str, source: str
) -> None:
    for key, types in shape.items():
        if key in data and not isinstance(data[key], types):
            expected = " or ".join(_TYPE_NAMES[t] for t in types)
            raise _malformed(source, f"{at}{key}", expected)


_TYPE_NAMES = {str: "a string", dict: "an object", list: "a list", type(None): "null"}


_STATUSES = {**{s.value: s for s in Status}, **_OLD_STATUSES}


def _saved_assistant(item: Any, at: str, source: str) -> SavedAssistant:
    if not isinstance(item, dict):
        raise _malformed(source, at, "an object")
    _check_types(item, _PER_ASSISTANT, f"{at}.", source)
    for key in ("name", "connection", "status"):
        if not isinstance(item.get(key), str) or not item[key]:
            raise _malformed(source, f"{at}.{key}", "a non-empty string")
    if item["status"] not in _STATUSES:
        expected = "one of " + ", ".join(sorted(s.value for s in Status))
        raise _malformed(source, f"{at}.status", expected)
    status = _STATUSES[item["status"]]
    _check_id(item.get("id"), status, at, source)
    if not isinstance(item.get("fingerprint"), str | None):
        raise _malformed(source, f"{at}.fingerprint", "a string or null")
    if not isinstance(item.get("spec_digest", ""), str):
        raise _malformed(source, f"{at}.spec_digest", "a string")
    request = _saved_request(item.get("request"), at, source)
    changes = item.get("changes") or []
    return SavedAssistant(
        name=item["name"],
        connection=item["connection"],
        id=item["id"],
        status=status,
        fingerprint=item.get("fingerprint"),
        spec_digest=item.get("spec_digest", ""),
        method=request.get("method"),
        path=request.get("path"),
        body=request.get("body"),
        changes=tuple(
            _saved_change(c, f"{at}.changes[{n}]", source) for n, c in enumerate(changes)
        ),
        provider=item.get("provider") or "",
        source=item.get("source") or "",
        error=item.get("error")
        or ("had an error when planned" if status is Status.ERROR else None),
    )


def _check_id(value: Any, status: Status, at: str, source: str) -> None:
    """Only an assistant still to be created has no id, and one without an id whose
    planning failed (a document that would have been created or adopted)."""
    if status is Status.CREATE:
        if value is not None:
            raise _malformed(source, f"{at}.id", "null for an assistant to create")
    elif status is Status.ERROR and value is None:
        return
    elif not isinstance(value, str) or not value:
        raise _malformed(source, f"{at}.id", "a non-empty string")


def _saved_request(request: Any, at: str, source: str) -> dict[str, Any]:
    """A saved request's method, path and body ({} when it has none)."""
    if request is None:
        return {}
    if not isinstance(request, dict):
        raise _malformed(source, f"{at}.request", "an object or null")
    for key in ("method", "path"):
        if not isinstance(request.get(key), str):
            raise _malformed(source, f"{at}.request.{key}", "a string")
    body = request.get("body")
    if not isinstance(body, dict) and not (body is None and request["method"] == "DELETE"):
        raise _malformed(source, f"{at}.request.body", "an object (null only for a DELETE)")
    return request


def _saved_change(item: Any, at: str, source: str) -> Change:
    """The inverse of `change_to_dict`, for a change as a plan file recorded it."""
    if not isinstance(item, dict):
        raise _malformed(source, at, "an object")
    parts = item.get("path_parts")
    if (
        not isinstance(parts, list)
        or not parts
        or not all(isinstance(p, str | int) and not isinstance(p, bool) for p in parts)
    ):
        raise _malformed(source, f"{at}.path_parts", "a list of names and indexes")
    flags = {}
    for key in ("sensitive", "write_only", "before_known", "before_absent"):
        if not isinstance(item.get(key, False), bool):
            raise _malformed(source, f"{at}.{key}", "true or false")
        flags[key] = item.get(key, False)
    before = item.get("before")
    if flags["before_absent"]:
        before = ABSENT
    elif not flags["before_known"]:
        before = UNKNOWN_WRITE_ONLY
    origin, labels = item.get("origin"), item.get("labels", [])
    if not isinstance(origin, str | None):
        raise _malformed(source, f"{at}.origin", "a string or null")
    if not isinstance(labels, list) or not all(isinstance(x, str) for x in labels):
        raise _malformed(source, f"{at}.labels", "a list of strings")
    return Change(
        tuple(parts),
        before,
        item.get("after"),
        flags["sensitive"],
        flags["write_only"],
        origin=origin,
        labels=tuple(labels),
    )


def _malformed(source: str, at: str, expected: str) -> VoiceopsError:
    return VoiceopsError(f"{source} is not a valid voiceops plan file: {at} must be {expected}")


# Far above the plan of thousands of assistants; a file beyond it is not one voiceops wrote.
MAX_PLAN_FILE_BYTES = 64 * 1024 * 1024


def planned_environment(text: str) -> str | None:
    """The environment a plan file says it was made for; None when it names none (or is no
    plan file at all: `load_saved` says what is wrong with it)."""
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):
        return None
    found = data.get("environment") if isinstance(data, dict) else None
    return found if isinstance(found, str) and _ENVIRONMENT_NAME.fullmatch(found) else None


def read_plan_file(path: Path) -> str:
    """The text of a plan file, or one sentence saying why it cannot be read. Only a regular
    file of bounded size is read: a device (/dev/zero) never ends and a FIFO may never open."""
    if path.is_dir():
        raise VoiceopsError(f"{path} is a directory, not a plan file")
    try:
        # O_NONBLOCK: opening a FIFO with no writer returns at once instead of waiting.
        descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
        with os.fdopen(descriptor, "rb") as stream:
            if not stat.S_ISREG(os.fstat(stream.fileno()).st_mode):
                raise VoiceopsError(f"{path} is not a regular file, so not a plan file")
            data = stream.read(MAX_PLAN_FILE_BYTES + 1)
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise VoiceopsError(f"cannot read the plan file {path}: {reason}") from None
    if len(data) > MAX_PLAN_FILE_BYTES:
        limit = MAX_PLAN_FILE_BYTES // (1024 * 1024)
        raise VoiceopsError(f"{path} is larger than {limit} MiB, so not a voiceops plan file")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise VoiceopsError(f"{path} is not a voiceops plan file: it is not UTF-8 text") from None
