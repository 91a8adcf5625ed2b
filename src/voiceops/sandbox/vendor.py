"""What every stand-in shares: the vendor interface, JSON answers, timestamps."""

from __future__ import annotations

import hashlib
import json
import time
from abc import ABC, abstractmethod
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from importlib import resources
from typing import TYPE_CHECKING, Any, ClassVar

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp

from voiceops.sandbox.state import parse_fixture_text

if TYPE_CHECKING:
    from voiceops.sandbox.options import SandboxOptions
    from voiceops.sandbox.state import State


class BadJSON(Exception):
    """The request body is not a JSON object."""


def json_response(
    data: Any, status: int = 200, headers: Mapping[str, str] | None = None
) -> Response:
    body = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()
    return Response(body, status_code=status, headers=headers, media_type="application/json")


async def json_object(request: Request) -> dict[str, Any]:
    raw = await request.body()
    try:
        data = json.loads(raw) if raw.strip() else {}
    except ValueError as exc:
        raise BadJSON("request body is not valid JSON") from exc
    if not isinstance(data, dict):
        raise BadJSON("request body must be a JSON object")
    if _has_lone_surrogate(data):
        # JSON allows the escape, but no vendor can store half a character as UTF-8 text.
        raise BadJSON("request body holds half a character (a lone UTF-16 surrogate escape)")
    return data


def _has_lone_surrogate(value: Any) -> bool:
    if isinstance(value, str):
        return any("\ud800" <= char <= "\udfff" for char in value)
    if isinstance(value, dict):
        return any(_has_lone_surrogate(k) or _has_lone_surrogate(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_lone_surrogate(item) for item in value)
    return False


def derived_hex(text: str, length: int) -> str:
    """Stable pseudo-random hex, so that generated secrets do not change between runs."""
    return hashlib.blake2b(text.encode(), digest_size=(length + 1) // 2).hexdigest()[:length]


def bearer_token(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


class Stamp:
    """ISO-8601 UTC timestamps in one vendor's style, strictly increasing per record."""

    def __init__(self, digits: int) -> None:
        self.digits = digits  # fractional digits: 3 (JavaScript) or 6 (Laravel)
        self.unit = timedelta(microseconds=10 ** (6 - digits))

    def format(self, moment: datetime) -> str:
        fraction = f"{moment.microsecond:06d}"[: self.digits]
        return moment.strftime("%Y-%m-%dT%H:%M:%S.") + fraction + "Z"

    def now(self) -> str:
        return self.format(datetime.fromtimestamp(time.time(), UTC))

    def after(self, previous: str | None) -> str:
        """Now, or one tick past `previous` when the clock has not moved past it."""
        moment = datetime.fromtimestamp(time.time(), UTC)
        if previous:
            try:
                last = datetime.fromisoformat(previous)
            except ValueError:
                last = None
            if last is not None:
                if last.tzinfo is None:
                    last = last.replace(tzinfo=UTC)
                moment = max(moment, last + self.unit)
        return self.format(moment)


class Vendor(ABC):
    """One stand-in. Records are stored in the vendor's own stored form; `read` turns
    one into what the vendor's read endpoints return.

    A stand-in also says how voiceops.yaml reaches it (`connection`: the example
    connection's name and settings besides type and base_url) and brings its seed data."""

    # What every stand-in must declare (checked when the subclass is created).
    REQUIRED: ClassVar[tuple[str, ...]] = (
        "name",
        "id_field",
        "created_field",
        "updated_field",
        "stamp",
        "connection",
    )

    name: ClassVar[str]
    id_field: ClassVar[str]
    created_field: ClassVar[str]
    updated_field: ClassVar[str]
    stamp: ClassVar[Stamp]
    connection: ClassVar[tuple[str, dict[str, str]]]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        for attribute in cls.REQUIRED:
            if not any(c is not Vendor and attribute in vars(c) for c in cls.__mro__):
                raise TypeError(f"{cls.__name__} must declare {attribute}")

    def __init__(self, state: State, options: SandboxOptions) -> None:
        self.state = state
        self.options = options

    def example_connection(self) -> tuple[str, dict[str, str]]:
        """The example connection as the banner shows it (options may add settings)."""
        return self.connection

    @classmethod
    def seed(cls) -> dict[str, Any]:
        """The stand-in's part of the default state, in fixture form (its credentials and
        its own section): `seeds/<name>.yaml` in this package unless a stand-in says else."""
        path = resources.files("voiceops.sandbox").joinpath(f"seeds/{cls.name}.yaml")
        return parse_fixture_text(path.read_text(encoding="utf-8"))

    def reset(self) -> None:
        """Forget sessions and counted requests (the sandbox is reset)."""
        return None

    def expire_sessions(self) -> None:
        """Every login session handed out so far stops working (stand-ins with logins)."""
        return None

    def reset_rate_limits(self) -> None:
        """Forget what the rate-limit windows counted (stand-ins with documented limits)."""
        return None

    @abstractmethod
    def build_app(self) -> ASGIApp: ...

    @abstractmethod
    def error(
        self, status: int, message: str, headers: Mapping[str, str] | None = None
    ) -> Response:
        """An error answer in the vendor's envelope."""

    @abstractmethod
    def read(self, record: dict[str, Any]) -> dict[str, Any]:
        """The record as the vendor's read endpoints show it (a new top-level dict)."""

    @abstractmethod
    def owner(self, record: dict[str, Any]) -> str:
        """The account (team, org, user) the record belongs to."""

    @abstractmethod
    def default_account(self) -> str:
        """The account of the credentials the sandbox hands out."""

    @abstractmethod
    def new_record(self, record: dict[str, Any], account: str | None) -> dict[str, Any]:
        """A complete stored record from a partial one: defaults, id and timestamps."""

    def insert(self, record: dict[str, Any], account: str | None) -> dict[str, Any]:
        """Store a new assistant made from `record` (defaults, id and timestamps filled in)
        and return it. Call under the state's lock, then `state.changed()`."""
        full = self.new_record(record, account)
        key = self.key(full[self.id_field])
        assistants = self.state.assistants[self.name]
        if key in assistants:
            raise ValueError(f"{self.name} assistant {key!r} already exists")
        assistants[key] = full
        return full

    def live(self, record: dict[str, Any]) -> bool:
        """False for a record the vendor keeps but no longer shows (soft-deleted)."""
        return True

    def key(self, assistant_id: object) -> str:
        return str(assistant_id)

    def stamp_new(self, record: dict[str, Any]) -> None:
        """Creation and update times of a new record, unless its fixture gives them."""
        now = self.stamp.now()
        record.setdefault(self.created_field, now)
        record.setdefault(self.updated_field, now)

    def touch(self, record: dict[str, Any]) -> None:
        record[self.updated_field] = self.stamp.after(record.get(self.updated_field))
