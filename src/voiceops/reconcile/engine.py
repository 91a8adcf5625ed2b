"""The plan stage: validated specs + live state -> `Plan`.

`Session` opens one pooled client per connection for the length of a command.
`plan_assistant` turns (spec, live state) into an `AssistantPlan` without any I/O; it only
tells the session's redactor about the secret values it handles.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from voiceops.errors import VoiceopsError
from voiceops.live.httpclient import Client, Interrupted, RequestFailed, RetryPolicy, StopSignal
from voiceops.live.providers import build_adapter
from voiceops.live.providers.base import LiveState, Provider
from voiceops.reconcile.changes import UNKNOWN_WRITE_ONLY, Change, ValuePath, diff, lookup
from voiceops.reconcile.plan import AssistantPlan, Plan, Status, mass_update_warning
from voiceops.reconcile.redaction import Redactor, body_template, is_sensitive
from voiceops.reconcile.writeonly import WriteOnlyRecord
from voiceops.spec import envref
from voiceops.spec.documents import AssistantSpec
from voiceops.spec.validation import Project

if TYPE_CHECKING:
    import ssl

    import httpx


@dataclass
class RunOptions:
    env: Mapping[str, str]
    concurrency: int = 16
    timeout_s: float = 30.0
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    seed: int | None = None
    # Where hashes of applied write-only fields are kept; None keeps them in memory.
    write_only_record: Path | None = None
    # Tests may route every connection through one transport (e.g. the in-process sandbox).
    transport: httpx.AsyncBaseTransport | None = None


def fingerprint(data: Any) -> str:
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return "sha256:" + hashlib.sha256(canonical.encode()).hexdigest()


class Session:
    """Open connections for one command run. Use as `async with Session(...) as session`."""

    def __init__(self, project: Project, options: RunOptions) -> None:
        self.project = project
        self.options = options
        self.redactor = Redactor()
        self.write_only = WriteOnlyRecord.load(options.write_only_record)
        self._limit = asyncio.Semaphore(options.concurrency)
        # Set on SIGINT or SIGTERM during apply: from then on nothing new is sent.
        self.stop = StopSignal()
        self._opened: dict[str, asyncio.Task[tuple[Provider, Client]]] = {}
        self._clients: list[Client] = []
        self._ssl: ssl.SSLContext | None = None

    async def __aenter__(self) -> Session:
        return self

    async def __aexit__(self, kind: object, error: BaseException | None, trace: object) -> None:
        await asyncio.gather(*(c.close() for c in self._clients), return_exceptions=True)
        if isinstance(error, VoiceopsError):
            # An error leaving the run (e.g. a vendor's message quoting a value) is scrubbed too.
            error.message = self.redactor.redact(error.message)

    def ssl_context(self) -> ssl.SSLContext | None:
        """The run's one SSL context, made when the first connection opens (none when every
        request goes through a transport a test handed in)."""
        if self.options.transport is not None:
            return None
        if self._ssl is None:
            import httpx

            self._ssl = httpx.create_ssl_context()
        return self._ssl

    async def connect(self, name: str) -> tuple[Provider, Client]:
        """The provider and its started client; opened once, shared by all callers."""
        if name not in self._opened:
            self._opened[name] = asyncio.ensure_future(self._open(name))
        return await self._opened[name]

    async def _open(self, name: str) -> tuple[Provider, Client]:
        connection = self.project.config.connections[name]
        provider = build_adapter(connection, self.project.schemas, self.options.env)
        self.redactor.add(*provider.secrets())
        provider.on_secret = self.redactor.add
        cap = int(connection.setting("concurrency") or provider.concurrency_cap)
        headers = provider.headers()
        try:
            client = Client(
                provider.base_url,
                global_limit=self._limit,
                vendor_limit=min(cap, self.options.concurrency),
                per_minute=provider.requests_per_minute,
                timeout_s=float(connection.setting("timeout_s") or self.options.timeout_s),
                retry=self.options.retry,
                headers=headers,
                seed=self.options.seed,
                transport=self.options.transport,
                stop=self.stop,
                # Loopback stand-ins speak plain http: no CA bundle to load for them.
                ssl_context=self.ssl_context() if provider.base_url.startswith("https:") else None,
            )
        except VoiceopsError:
            raise
        except Exception as exc:  # the URL cannot be parsed, or httpx refuses a header value
            reason = self.redactor.redact(str(exc).strip() or type(exc).__name__)
            raise VoiceopsError(f"connection {name!r} cannot be used: {reason}") from None
        self._clients.append(client)
        try:
            await provider.start(client)
        except VoiceopsError as exc:
            raise connection_error(provider, exc) from None
        return provider, client

    async def read(
        self, name: str, ids: list[str], *, whole_connection: bool = True
    ) -> dict[str, LiveState]:
        """Live state of `ids`. When they are the connection's whole read (`whole_connection`)
        and every one of them got an answer unlike the vendor's API, the connection is blamed;
        one assistant read on its own keeps its own failure."""
        provider, client = await self.connect(name)
        try:
            live = await provider.read(client, ids)
        except VoiceopsError as exc:
            raise connection_error(provider, exc) from None
        blamed = wrong_base_url(provider, list(live.values())) if whole_connection else None
        if blamed is not None:
            raise blamed
        return live


def wrong_base_url(provider: Provider, answers: list[LiveState]) -> VoiceopsError | None:
    """The connection's error when nothing at all answered as the vendor's API does (most
    likely a wrong base_url); None when any answer did."""
    failures = [a for a in answers if isinstance(a, RequestFailed)]
    if not answers or len(failures) < len(answers) or not all(f.unexpected for f in failures):
        return None
    return unexpected_answer(provider, failures[0])


def unexpected_answer(provider: Provider, failure: RequestFailed) -> VoiceopsError:
    return VoiceopsError(
        f"connection {provider.name!r}: {provider.base_url} did not answer with the JSON "
        f"the {provider.type} API sends ({failure.message}); check its base_url"
    )


def connection_error(provider: Provider, exc: VoiceopsError) -> VoiceopsError:
    """The one sentence a user sees for a failure that affects a whole connection."""
    if isinstance(exc, Interrupted):
        return exc
    status = getattr(exc, "status", None)
    if status == 401 and getattr(exc, "after_login", False):
        return VoiceopsError(
            f"connection {provider.name!r}: the vendor answered 401 right after a successful "
            "login; the account may not be allowed to read these assistants"
        )
    if status == 401:
        return VoiceopsError(provider.rejected_credentials())
    if exc.location is not None or exc.message.startswith("connection "):
        return exc
    return VoiceopsError(f"connection {provider.name!r}: {exc.message}")


def group_by_connection(specs: list[AssistantSpec]) -> dict[str, list[AssistantSpec]]:
    groups: dict[str, list[AssistantSpec]] = {}
    for spec in specs:
        groups.setdefault(spec.connection, []).append(spec)
    return groups


# Assistants planned between two turns of the event loop: planning a whole list at once
# would hold up the reads still under way on the other connections.
PLAN_SLICE = 20


async def make_plan(session: Session, *, mass_update_allowed: bool = False) -> Plan:
    """Read every connection's live state once and compare each assistant with git. The
    plan warns of a mass update unless `mass_update_allowed` (apply --allow-mass-update)."""
    project = session.project
    specs = project.specs

    async def per_connection(name: str, group: list[AssistantSpec]) -> list[AssistantPlan]:
        try:
            provider, _ = await session.connect(name)
            if not provider.reads_by_list:
                return await _plan_as_reads_land(session, provider, group)
            live = await session.read(name, [s.id for s in group])
        except VoiceopsError as exc:
            return [error_plan(session, spec, str(exc)) for spec in group]
        except Exception as exc:  # a bug, confined to this connection
            return [error_plan(session, spec, internal_error(exc)) for spec in group]
        plans = []
        for n, spec in enumerate(group, 1):
            plans.append(guarded_plan(session, provider, spec, live[spec.id]))
            if n % PLAN_SLICE == 0:
                await asyncio.sleep(0)  # let the other connections' answers in meanwhile
        return plans

    groups = group_by_connection(specs)
    results = await asyncio.gather(*(per_connection(n, g) for n, g in groups.items()))
    by_name = {a.name: a for group in results for a in group}
    assistants = [by_name[s.name] for s in specs]
    plan = Plan(assistants, managed=project.managed)
    config = project.config
    warning = mass_update_warning(
        len(plan.with_status(Status.UPDATE)),
        plan.managed,
        config.max_update_share,
        config.min_managed,
    )
    if warning and not mass_update_allowed:
        plan.warnings.append(warning)
    return plan


async def _plan_as_reads_land(
    session: Session, provider: Provider, group: list[AssistantSpec]
) -> list[AssistantPlan]:
    """One GET per assistant: each is planned as soon as its own answer is in, so planning
    overlaps the reads still on the wire. When no answer at all looks like the vendor's API,
    the connection (its base_url) is blamed, as for a read of the whole connection."""

    async def one(spec: AssistantSpec) -> tuple[AssistantPlan, LiveState]:
        try:
            live = await session.read(provider.name, [spec.id], whole_connection=False)
        except VoiceopsError as exc:
            return error_plan(session, spec, str(exc)), None
        return guarded_plan(session, provider, spec, live[spec.id]), live[spec.id]

    planned = await asyncio.gather(*(one(spec) for spec in group))
    blamed = wrong_base_url(provider, [live for _, live in planned])
    if blamed is not None:
        return [error_plan(session, spec, str(blamed)) for spec in group]
    return [plan for plan, _ in planned]


def guarded_plan(
    session: Session, provider: Provider, spec: AssistantSpec, live_raw: LiveState
) -> AssistantPlan:
    """`plan_assistant`, with a failure that escaped it confined to this one assistant."""
    try:
        return plan_assistant(session, provider, spec, live_raw)
    except Exception as exc:  # a bug, but one assistant's bug must not end the run
        return error_plan(session, spec, internal_error(exc))


def internal_error(exc: Exception) -> str:
    return f"internal error ({type(exc).__name__}: {exc}); please report it as a voiceops bug"


def error_plan(session: Session, spec: AssistantSpec, message: str) -> AssistantPlan:
    plan = _blank(session, spec)
    plan.error = message
    return plan


def _blank(session: Session, spec: AssistantSpec) -> AssistantPlan:
    connection = session.project.config.connections[spec.connection]
    return AssistantPlan(
        name=spec.name,
        connection=spec.connection,
        provider_type=connection.type,
        id=spec.id,
        source=str(spec.doc.location(("metadata", "name"))),
        spec_digest=fingerprint(spec.spec),
    )


def plan_assistant(
    session: Session, provider: Provider, spec: AssistantSpec, live_raw: LiveState
) -> AssistantPlan:
    """Compare one spec with its live state and build the request that would converge it."""
    plan = _blank(session, spec)
    env = session.options.env
    references = envref.references_in(spec.spec)
    unresolved = spec.reference_problems(env)
    if unresolved:
        plan.error = str(unresolved[0])
        return plan
    if live_raw is None:
        plan.error = (
            f"{spec.doc.location(('id',))}: assistant {spec.id!r} was not found on "
            f"connection {spec.connection!r} (404)"
        )
        return plan
    if isinstance(live_raw, RequestFailed):
        plan.error = (
            f"{spec.doc.location(('id',))}: reading assistant {spec.id!r} on connection "
            f"{spec.connection!r} failed: {live_raw.message}"
        )
        return plan
    desired = envref.resolve(spec.spec, env)
    live = provider.to_spec_shape(live_raw)
    secret_paths = frozenset(path for path, _ in references)
    session.redactor.add(*(env[v] for _, v in references))
    session.redactor.add(
        *(
            lookup(live, path)
            for path in provider.sensitive
            if isinstance(lookup(live, path), str | dict | list)
        ),
        observed=True,
    )
    plan.fingerprint = fingerprint(live_raw)
    plan.live_raw = live_raw
    plan.changes = desired_changes(provider, spec, live, desired, secret_paths, session.write_only)
    if plan.changes:
        changed = list(dict.fromkeys(c.top for c in plan.changes))
        body = provider.build_body(live, desired, changed)
        plan.request = provider.update_request(spec.id, body)
        env_names: dict[ValuePath, list[str]] = {}
        for path, variable in references:
            env_names.setdefault(path, []).append(variable)
        template = body_template(body, desired, provider.sensitive, secret_paths, env_names)
        plan.template = provider.encode_body(template)
    return plan


def desired_changes(
    provider: Provider,
    spec: AssistantSpec,
    live: dict[str, Any],
    desired: dict[str, Any],
    secret_paths: frozenset[ValuePath],
    record: WriteOnlyRecord,
) -> list[Change]:
    """Readable fields by comparison with live state; write-only ones by the applied-hash record."""
    write_only = {path[0] for path in provider.write_only if len(path) == 1}
    readable = {k: v for k, v in desired.items() if k not in write_only}
    changes = diff(live, readable, sensitive=provider.sensitive, secret_paths=secret_paths)
    for key, value in desired.items():
        if key in write_only and not record.matches(spec.connection, spec.id, key, value):
            sensitive = is_sensitive((key,), provider.sensitive, secret_paths)
            changes.append(Change((key,), UNKNOWN_WRITE_ONLY, value, sensitive, write_only=True))
    return changes
