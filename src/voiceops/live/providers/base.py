"""The contract every vendor adapter fulfils.

An adapter declares what is particular to its vendor (class attributes and a few hooks);
everything else — reading in bulk, mapping read names, building the smallest correct update
body — is fixed here, so that all vendors behave the same way.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncGenerator, Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import quote

from voiceops.errors import VoiceopsError
from voiceops.live.httpclient import Client, Interrupted, RequestFailed, check_base_url, shown
from voiceops.paths import Path as ValuePath
from voiceops.paths import drop
from voiceops.spec.schemas import (
    CREATE_ONLY,
    ERROR_MESSAGE,
    READ_OPTIONAL,
    SENSITIVE,
    WRITE_ONLY,
    FieldPath,
    SchemaStore,
)
from voiceops.spec.shape import Shape, child, shape_of, unknown_keys
from voiceops.spec.vendors import default_base_url, id_normalizer, spec_schema

if TYPE_CHECKING:
    import httpx

    from voiceops.live.credentials import Credentials
    from voiceops.spec.config import Connection

FieldSet = frozenset[FieldPath]
# One assistant's live state as read: the object, None (unknown id), or why reading it failed.
LiveState = dict[str, Any] | None | RequestFailed
# Vendor data nested deeper than this is refused; assistants are a few levels deep.
MAX_ANSWER_DEPTH = 64
# A paged list longer than this is refused (100,000 assistants at 100 a page).
MAX_PAGES = 1000


@dataclass(frozen=True)
class UpdateRequest:
    """A request that changes an assistant: update, create or delete (a delete has no body)."""

    method: str
    path: str
    body: dict[str, Any] | None


class Provider:
    """Base class of the vendor adapters. Subclasses set the class attributes and hooks.

    The vendor's production URL, credential settings and id form are in its schema
    (`voiceops.spec.vendors`); the adapter is handed its credentials already resolved."""

    # What every adapter must declare (checked when the subclass is created).
    REQUIRED: ClassVar[tuple[str, ...]] = ("type", "id_field", "name_field", "update_target")

    type: ClassVar[str]
    # The keys of a live assistant's id and display name.
    id_field: ClassVar[str]
    name_field: ClassVar[str]
    # Credential settings whose value is sent in an HTTP header.
    header_credentials: ClassVar[tuple[str, ...]] = ("token_env",)
    # Fields the vendor returns but never accepts; dropped from live state before diffing.
    read_only: ClassVar[FieldSet] = frozenset()
    # Read name -> write name, and per write name the read value -> write value.
    read_names: ClassVar[Mapping[str, str]] = {}
    read_values: ClassVar[Mapping[str, Mapping[Any, Any]]] = {}
    # Fields every update body must carry (sent with the live value when unchanged).
    required_in_update: ClassVar[tuple[str, ...]] = ()
    # Nested objects the vendor replaces whole: sent as live value with desired fields laid over.
    replaces_whole: ClassVar[frozenset[str]] = frozenset()
    # Objects whose update takes only some keys: the rest is never sent.
    update_keys: ClassVar[Mapping[str, frozenset[str]]] = {}
    # Most requests in flight at once, and the documented rate limit.
    concurrency_cap: ClassVar[int] = 16
    requests_per_minute: ClassVar[int | None] = None
    # Several assistants are read by list pages: apply reads them (and reads them back) together.
    reads_by_list: ClassVar[bool] = False
    # The vendor's documented limit on creates, per hour and organisation (None: none).
    creates_per_hour: ClassVar[int | None] = None
    # Fields whose schema rules hold only when the spec has all of them (Interactly's model
    # and provider): a spec that sets some is checked at plan time with the others' live values.
    checked_together: ClassVar[tuple[tuple[str, ...], ...]] = ()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        missing_declarations(cls, Provider, cls.REQUIRED)

    def __init__(self, connection: Connection, schemas: SchemaStore, credentials: Credentials):
        self.connection = connection
        self.credentials = credentials
        self.schemas = schemas
        self.default_base_url = default_base_url(schemas, self.type)
        self.normalize_id = id_normalizer(schemas, self.type)
        # Whether a value has the form the vendor's schema gives ids (a created id is checked
        # before it is written into the user's file).
        self.valid_id = schemas.validator(self.type, "/$defs/id").is_valid
        # The spec's field set: the vendor's, or the one the connection chose.
        self.spec_schema = spec_schema(connection)
        self.sensitive: FieldSet = schemas.annotated_fields(self.spec_schema, SENSITIVE)
        self.write_only: FieldSet = schemas.annotated_fields(self.spec_schema, WRITE_ONLY)
        # Fields the vendor takes on create but no longer in an update.
        self.create_only: FieldSet = schemas.annotated_fields(self.spec_schema, CREATE_ONLY)
        # Readable fields a read may leave out (shown only in some configurations).
        self.read_optional: FieldSet = schemas.annotated_fields(self.spec_schema, READ_OPTIONAL)
        self.schema = schemas.validator(self.spec_schema)
        # Told of each secret the provider learns while running (a session cookie).
        self.on_secret: Callable[[str], None] | None = None

    # ---- credentials and connection -------------------------------------------------

    @property
    def name(self) -> str:
        return self.connection.name

    @property
    def base_url(self) -> str:
        url = self.connection.setting("base_url") or self.default_base_url
        return check_base_url(url, self.name)

    def credential(self, setting: str) -> str:
        return self.credentials.value(setting)

    def secrets(self) -> list[str]:
        """Credential values, so outputs can be scrubbed of them."""
        return self.credentials.secrets()

    def headers(self) -> dict[str, str]:
        """Headers sent with every request: a Bearer token unless a subclass says otherwise."""
        return {"Authorization": f"Bearer {self.credential('token_env')}"}

    async def start(self, client: Client) -> None:
        """Called once before the first request (Edmo logs in here)."""

    def rejected_credentials(self) -> str:
        names = " and ".join(self.credentials.variables.values())
        return f"connection {self.name!r}: the vendor rejected the credentials in {names} (401)"

    def live_id(self, item: Mapping[str, Any]) -> Any:
        """The id of a live assistant as the vendor gives it, or None."""
        return item.get(self.id_field)

    def field_set_evidence(self, items: list[dict[str, Any]]) -> str | None:
        """Which of the vendor's field sets its answers suggest, where it has several and
        the answers tell (for `voiceops doctor`); None where there is nothing to say."""
        return None

    def not_kept_hint(self) -> str:
        """Said after "the vendor did not keep: …" where the vendor has a likely reason."""
        return ""

    def gone(self, live: dict[str, Any]) -> bool:
        """Whether a live assistant read by id is deleted all the same (soft deletion)."""
        return False

    def display_name(self, item: Mapping[str, Any]) -> str:
        """The name a live assistant is shown under, or ""."""
        name = item.get(self.name_field)
        return name if isinstance(name, str) else ""

    # ---- reading --------------------------------------------------------------------

    def read_path(self, assistant_id: str) -> str:
        raise NotImplementedError

    async def read(self, client: Client, ids: list[str]) -> dict[str, LiveState]:
        """Live state of each id: None when the vendor does not know it, and the failure when
        reading that one assistant failed (a whole-connection failure raises instead)."""

        async def one(assistant_id: str) -> LiveState:
            try:
                response = await client.request("GET", self.read_path(assistant_id))
                return answer_object(response)
            except RequestFailed as exc:
                if exc.status == 404:
                    return None
                if affects_connection(exc):
                    raise
                return exc

        if len(ids) == 1:  # one assistant read on its own: no task needed to wait for it
            return {ids[0]: await one(ids[0])}
        results = await asyncio.gather(*(one(i) for i in ids))
        return dict(zip(ids, results, strict=True))

    async def list_all(self, client: Client) -> list[dict[str, Any]]:
        """Every assistant the credentials can see, for `import --all`."""
        raise VoiceopsError(
            f"{self.type} documents no endpoint that lists assistants; name them with --id"
        )

    def to_spec_shape(self, live: dict[str, Any]) -> dict[str, Any]:
        """Live state in the spec's names and values, without read-only fields.

        Nested values are shared with `live`, not copied: nothing changes them, and the
        read-only fields nested inside are dropped from copies (see `drop`)."""
        shaped: dict[str, Any] = {}
        for read_name, value in live.items():
            name = self.read_names.get(read_name, read_name)
            values = self.read_values.get(name)
            if values is not None and _hashable(value) and value in values:
                value = values[value]
            shaped[name] = value
        for path in self.read_only:
            drop(shaped, path)
        return shaped

    def conflict_with_live(
        self, live: dict[str, Any], desired: dict[str, Any]
    ) -> tuple[str, str] | None:
        """The first field of the spec that breaks a `checked_together` rule once the fields
        it leaves out take their live values, and why; None when none does."""
        for group in self.checked_together:
            given = [name for name in group if name in desired]
            kept = [name for name in group if name not in desired and name in live]
            if not given or not kept or len(given) + len(kept) < len(group):
                continue
            combined = {name: desired[name] if name in desired else live[name] for name in group}
            error = next(iter(self.schema.iter_errors(combined)), None)
            if error is None:
                continue
            said = error.schema.get(ERROR_MESSAGE) if isinstance(error.schema, dict) else None
            live_values = ", ".join(f"{name} is {live[name]!r}" for name in kept)
            reason = f"the live assistant's {live_values}, and {said or error.message}"
            return given[0], f"{reason}; set {' and '.join(kept)} in the spec as well"
        return None

    # ---- writing --------------------------------------------------------------------

    def update_target(self, assistant_id: str) -> tuple[str, str]:
        """Method and path of the update request."""
        raise NotImplementedError

    def build_body(
        self, live: dict[str, Any], desired: dict[str, Any], changed: list[str]
    ) -> dict[str, Any]:
        """The smallest correct body, in spec names: changed fields plus what the vendor forces.

        Where a whole object or a whole list goes out, what the live value has and the spec
        does not manage is carried over (known to the schema or not), so that nothing the
        document leaves out is wiped; fields the vendor only takes on create are left out."""
        body: dict[str, Any] = {}
        for key in changed:
            body[key] = self._whole(key, live, desired[key])
        for key in self.required_in_update:
            if key in body:
                continue
            if key in desired:
                body[key] = self._whole(key, live, desired[key])
            elif live.get(key) is not None:
                body[key] = live[key]
        for path in self.create_only:
            drop(body, path)
        return body

    def _whole(self, key: str, live: dict[str, Any], value: Any) -> Any:
        """`value` as sent for `key`: an object the vendor replaces whole, or any list, with
        the live value's unmanaged parts carried over; where the update takes only some keys
        of it (`update_keys`), only those."""
        base = live.get(key)
        if isinstance(value, list) or (key in self.replaces_whole and isinstance(value, dict)):
            value = overlay(base, value, child(self.shape, key))
        allowed = self.update_keys.get(key)
        if allowed is not None and isinstance(value, dict):
            value = {k: v for k, v in value.items() if k in allowed}
        return value

    @cached_property
    def shape(self) -> Shape:
        """The spec schema reduced to what answers and bodies are matched against."""
        return shape_of(self.schemas.document(self.spec_schema))

    def unknown_paths(self, shaped: dict[str, Any]) -> frozenset[ValuePath]:
        """Where live state (in spec shape) holds keys the schema does not know. Their values
        are handled as secrets: nothing says they are not."""
        return frozenset(unknown_keys(self.shape, shaped))

    def encode_body(self, body: dict[str, Any]) -> dict[str, Any]:
        """The body in the vendor's wire form (only Autocalls differs from spec names)."""
        return body

    def update_request(self, assistant_id: str, body: dict[str, Any]) -> UpdateRequest:
        method, path = self.update_target(assistant_id)
        return UpdateRequest(method, path, self.encode_body(body))

    # ---- lifecycle ------------------------------------------------------------------
    # Which vendors create and delete is also in their schemas (for `validate`, offline).

    def create_target(self) -> tuple[str, str] | None:
        """Method and path of the create request; None where the vendor documents none."""
        return None

    def delete_target(self, assistant_id: str) -> tuple[str, str] | None:
        """Method and path of the delete request; None where the vendor documents none."""
        return None

    @property
    def lists(self) -> bool:
        """Whether the vendor documents a list of assistants (`list_all`)."""
        return type(self).list_all is not Provider.list_all

    def create_request(self, body: dict[str, Any]) -> UpdateRequest:
        """The create request for a whole spec (in spec names)."""
        target = self.create_target()
        if target is None:
            raise VoiceopsError(f"{self.type} documents no endpoint that creates assistants")
        return UpdateRequest(*target, self.encode_body(body))

    def delete_request(self, assistant_id: str) -> UpdateRequest:
        target = self.delete_target(assistant_id)
        if target is None:
            raise VoiceopsError(f"{self.type} documents no endpoint that deletes assistants")
        return UpdateRequest(*target, None)

    def created_id(self, answer: Any) -> str:
        """The new assistant's id in a create's answer; RequestFailed when it has none."""
        found = answer.get(self.id_field) if isinstance(answer, dict) else None
        if not is_id(found):
            raise RequestFailed(
                "the vendor's answer to the create carried no assistant id", unexpected=True
            )
        if not self.valid_id(str(found)):
            raise RequestFailed(
                f"the vendor's answer to the create carried an id unlike {self.type} ids "
                f"({shown(str(found)[:60])})",
                unexpected=True,
            )
        return self.normalize_id(str(found))


def affects_connection(exc: RequestFailed) -> bool:
    """Whether a failed read fails the whole connection, not just the assistants it was for:
    only rejected credentials, an unreachable host, or a stop of the run."""
    return exc.status == 401 or exc.unreachable or isinstance(exc, Interrupted)


def answer_json(response: httpx.Response) -> Any:
    """The JSON of a vendor's answer; RequestFailed saying what came instead."""
    body = response.content
    if not body.strip():
        raise _unexpected(response, "an empty body")
    try:
        data = json.loads(body, parse_constant=_non_finite)
    except RecursionError:
        raise _unexpected(response, f"JSON nested over {MAX_ANSWER_DEPTH} levels deep") from None
    except _NonFinite as exc:
        raise _unexpected(response, f"{exc}, a number JSON does not allow") from None
    except ValueError:
        looks_html = body.lstrip()[:1] == b"<" or "html" in response.headers.get("content-type", "")
        what = "a web page, not JSON" if looks_html else "something that is not JSON"
        raise _unexpected(response, what) from None
    if _depth(data) > MAX_ANSWER_DEPTH:
        raise _unexpected(response, f"JSON nested over {MAX_ANSWER_DEPTH} levels deep")
    return data


def answer_object(response: httpx.Response) -> dict[str, Any]:
    """The JSON object of a vendor's answer (one assistant, or a page with its items)."""
    data = answer_json(response)
    if not isinstance(data, dict):
        raise _unexpected(response, f"{json_kind(data)} where an object was expected")
    return data


def assistant_items(response: httpx.Response, items: Any, id_field: str) -> list[dict[str, Any]]:
    """A page's assistants: each an object with an id in `id_field`, or RequestFailed."""
    if not isinstance(items, list):
        raise _unexpected(response, f"{json_kind(items)} where a list of assistants was expected")
    for item in items:
        if not isinstance(item, dict):
            raise _unexpected(response, f"{json_kind(item)} in the list of assistants")
        if not is_id(item.get(id_field)):
            raise _unexpected(response, "an assistant without an id in the list")
    return items


def is_id(value: Any) -> bool:
    return (isinstance(value, str) and value != "") or (
        isinstance(value, int) and not isinstance(value, bool)
    )


class PageGuard:
    """Stops paging through a list whose answers would have it page on and on."""

    def __init__(self, what: str, id_field: str) -> None:
        self.what = what
        self.id_field = id_field
        self.seen: set[frozenset[str]] = set()

    def check(self, page: int, pages: int, items: list[dict[str, Any]]) -> None:
        if pages > MAX_PAGES:
            raise RequestFailed(
                f"{self.what} claims {pages} pages; voiceops reads at most {MAX_PAGES}, "
                "so it stopped paging"
            )
        ids = frozenset(str(item[self.id_field]) for item in items)
        if ids in self.seen:
            raise RequestFailed(
                f"page {page} of {self.what} repeats an earlier page; voiceops stopped paging"
            )
        self.seen.add(ids)


@dataclass(frozen=True)
class Page:
    """One answer of a paged list: its number, its items as listed, and the number of the
    last page it claims."""

    number: int
    items: list[dict[str, Any]]
    last: int


async def list_pages(
    fetch: Callable[[int], Awaitable[Page]], guard: PageGuard, page_size: int
) -> AsyncGenerator[Page, None]:
    """The pages of a list in order, up to the last one the list claims or an empty one.

    Page 1 gives the count. When it is full, pages 2..n are requested at once (the client
    bounds how many are in flight) and still checked and yielded in order; a page that
    ends the list, or a consumer that stops, cancels those not yet sent. A page 1 that is
    not full has no page 2 in a consistent list: the rest is then read one at a time.
    Consumers that may stop early close the iterator (`contextlib.aclosing`)."""
    first = await fetch(1)
    if not first.items:
        return
    guard.check(1, first.last, first.items)
    yield first
    ahead = len(first.items) >= page_size
    page, last = 2, first.last
    while page <= last:
        end = last if ahead else page
        tasks = [asyncio.ensure_future(fetch(n)) for n in range(page, end + 1)]
        try:
            for task in tasks:
                current = await task
                if not current.items:
                    return
                guard.check(current.number, current.last, current.items)
                yield current
                page, last = page + 1, current.last
                if page > last:
                    return
        finally:
            await _cancel(tasks)


async def _cancel(tasks: Iterable[asyncio.Future[Any]]) -> None:
    for task in tasks:
        task.cancel()
    # Collects the outcome of each, so that none is reported as never retrieved.
    await asyncio.gather(*tasks, return_exceptions=True)


def json_kind(value: Any) -> str:
    if isinstance(value, dict):
        return "a JSON object"
    if isinstance(value, list):
        return "a JSON list"
    if isinstance(value, str):
        return "a JSON string"
    if value is None:
        return "null"
    return f"the JSON value {json.dumps(value)}"


def _unexpected(response: httpx.Response, what: str) -> RequestFailed:
    where = f"{response.request.method} {shown(response.request.url.path)}"
    return RequestFailed(f"{where} answered with {what}", unexpected=True)


class _NonFinite(ValueError):
    pass


def _non_finite(constant: str) -> Any:
    raise _NonFinite(constant)


def _depth(data: Any) -> int:
    deepest, level = 0, [data]
    while level:
        deepest += 1
        if deepest > MAX_ANSWER_DEPTH:
            return deepest
        level = [
            child
            for value in level
            if isinstance(value, dict | list)
            for child in (value.values() if isinstance(value, dict) else value)
        ]
    return deepest


def segment(value: Any) -> str:
    """`value` as exactly one URL path segment: `/`, `?`, `#`, `%` and dot segments cannot
    change which resource a request reaches."""
    text = quote(str(value), safe="")
    return {".": "%2E", "..": "%2E%2E"}.get(text, text)


def overlay(base: Any, top: Any, shape: Shape | None = None) -> Any:
    """`top` with what `base` has beside it: mappings merge key by key, and a list's item is
    laid over its live counterpart, the item with the same `x-voiceops-item-key` value where
    the schema names such a key (so reordering moves nothing between items), else the item
    at the same place; anything else is `top` itself."""
    if isinstance(top, dict):
        merged = dict(base) if isinstance(base, dict) else {}
        for key, value in top.items():
            merged[key] = overlay(merged.get(key), value, child(shape, key))
        return merged
    if isinstance(top, list) and isinstance(base, list):
        items = shape.items if shape is not None else None
        partners = _partners(base, top, shape.item_key if shape is not None else None)
        return [overlay(partner, item, items) for partner, item in zip(partners, top, strict=True)]
    return top


def _partners(base: list[Any], top: list[Any], key: str | None) -> list[Any]:
    """For each item of `top`, the item of `base` it continues (None for a new one)."""
    if key is None:
        return [base[i] if i < len(base) else None for i in range(len(top))]
    by_key: dict[Any, Any] = {}
    for item in base:
        if isinstance(item, dict) and _hashable(item.get(key)):
            by_key.setdefault(item.get(key), item)
    return [
        by_key.pop(item.get(key), None)
        if isinstance(item, dict) and _hashable(item.get(key))
        else None
        for item in top
    ]


def _hashable(value: Any) -> bool:
    return isinstance(value, str | int | float | bool) or value is None


def missing_declarations(cls: type, base: type, names: tuple[str, ...]) -> None:
    """TypeError naming the first of `names` that `cls` neither sets nor inherits from a
    class below `base` (what `base` has of them are stubs)."""
    for attribute in names:
        if not any(c is not base and attribute in vars(c) for c in cls.__mro__):
            raise TypeError(f"{cls.__name__} must declare {attribute}")
