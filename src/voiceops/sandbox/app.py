"""The sandbox: the stand-ins on one Starlette app, plus the test-control API."""

from __future__ import annotations

import copy
import dataclasses
import shlex
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.routing import Mount

from voiceops.sandbox.faults import FaultPlanner, Faults
from voiceops.sandbox.gate import DropFilter, VendorGate
from voiceops.sandbox.log import RecordedRequest, RequestLog
from voiceops.sandbox.options import SandboxOptions
from voiceops.sandbox.server import ServerThread
from voiceops.sandbox.standins import STAND_INS, VENDORS
from voiceops.sandbox.state import State, default_fixture, load_fixture
from voiceops.sandbox.vendor import Vendor

__all__ = ["Sandbox", "SandboxOptions"]


class Sandbox:
    def __init__(self, options: SandboxOptions | None = None) -> None:
        self.options = options or SandboxOptions()
        state_file = Path(self.options.state_file) if self.options.state_file else None
        self._initial = load_fixture(
            self.options.fixture, state_file, lambda: default_fixture(s.seed() for s in STAND_INS)
        )
        self._state = State(state_file, VENDORS)
        self._vendors: dict[str, Vendor] = {s.name: s(self._state, self.options) for s in STAND_INS}
        self._load_initial()
        self._log = RequestLog()
        self._planner = FaultPlanner(self.options.seed, self._initial_faults())
        self._gates = {
            name: VendorGate(v, v.build_app(), self._planner, self._log)
            for name, v in self._vendors.items()
        }
        self.app = Starlette(routes=[Mount(f"/{n}", app=g) for n, g in self._gates.items()])
        self._server: ServerThread | None = None

    # -- serving -----------------------------------------------------------------

    @contextmanager
    def serve(self, port: int = 0) -> Iterator[str]:
        """Serve on 127.0.0.1:`port` (0: any free port) in a background thread.
        Yields the server's base URL; each vendor lives under /<vendor>."""
        if self._server is not None:
            raise RuntimeError("this sandbox is already serving")
        server = ServerThread(self.app, port, log_filter=DropFilter())
        server.start()
        self._server = server
        try:
            yield f"http://127.0.0.1:{server.port}"
        finally:
            self._server = None
            server.stop()

    @property
    def vendors(self) -> tuple[str, ...]:
        """The vendors the sandbox stands in for, in the order they are listed."""
        return tuple(self._vendors)

    @property
    def base_urls(self) -> dict[str, str]:
        if self._server is None:
            raise RuntimeError("base_urls exist only while the sandbox is serving")
        root = f"http://127.0.0.1:{self._server.port}"
        return {name: f"{root}/{name}" for name in VENDORS}

    @property
    def credentials(self) -> dict[str, str]:
        return dict(self._state.credentials)

    def use_options(self, vendor: str, **changes: Any) -> None:
        """Change one stand-in's options while it serves (e.g. the Autocalls field set a
        `--sandbox` run's connection speaks)."""
        stand_in = self._vendor(vendor)
        stand_in.options = dataclasses.replace(stand_in.options, **changes)

    @property
    def credentials_by_setting(self) -> dict[tuple[str, str], str]:
        """(vendor, credential setting such as `token_env`) -> the value the sandbox
        expects, for connections that name other variables than the example's."""
        values = self._state.credentials
        return {
            (vendor.name, key): values[variable]
            for vendor in self._vendors.values()
            for key, variable in vendor.connection[1].items()
            if key.endswith("_env") and variable in values
        }

    def config_yaml(self) -> str:
        """A voiceops.yaml `providers:` block for the running sandbox, then the
        `export` lines for the credentials it expects."""
        urls = self.base_urls
        lines = ["providers:"]
        for vendor in self._vendors.values():
            connection, settings = vendor.example_connection()
            lines += [f"  {connection}:", f"    type: {vendor.name}"]
            lines.append(f"    base_url: {urls[vendor.name]}")
            lines += [f"    {key}: {value}" for key, value in settings.items()]
        lines.append("")
        lines += [f"export {k}={shlex.quote(v)}" for k, v in self._state.credentials.items()]
        return "\n".join(lines) + "\n"

    # -- request log and faults ------------------------------------------------------

    def requests(
        self, vendor: str | None = None, method: str | None = None
    ) -> list[RecordedRequest]:
        return self._log.select(vendor, method)

    def clear_requests(self) -> None:
        self._log.clear()

    def mask(self, values: Iterable[str]) -> None:
        """Values (those of `${env:NAME}` references) that the request log replaces by
        `<redacted>` wherever they appear in requests logged from now on."""
        self._log.mask(values)

    def set_faults(self, faults: Faults, vendor: str | None = None) -> None:
        """Settings for one vendor, or (vendor=None) for all, replacing every
        vendor's own settings. `Faults(only=...)` limits them to some routes, e.g. a
        create's answer held back after it is carried out:
        `Faults(slow_rate=1, slow_s=600, only="POST /assistants")`; the request log
        shows such a request, processed, while its answer is held."""
        if vendor is not None:
            self._vendor(vendor)
        self._planner.set(faults, vendor)

    def script_id(self, vendor: str, rule: str, value: Any) -> None:
        """The vendor's next request matching `rule` (e.g. "POST /assistants") is carried out,
        but answered with `value` as the assistant's id: a vendor answering a create with an
        existing id, one that reads back 404, or a secret."""
        self._vendor(vendor)
        self._gates[vendor].script_id(rule, value)

    def expire_sessions(self) -> None:
        """Every login session handed out so far stops working now (Edmo's cookies)."""
        for vendor in self._vendors.values():
            vendor.expire_sessions()

    def reset_rate_limits(self) -> None:
        """Forget the requests and creates the windows counted (Invent's limits)."""
        for vendor in self._vendors.values():
            vendor.reset_rate_limits()

    # -- state -------------------------------------------------------------------

    def assistant(self, vendor: str, assistant_id: object) -> dict[str, Any]:
        """The assistant as the vendor's read endpoint shows it (a copy)."""
        v = self._vendor(vendor)
        with self._state.lock:
            return copy.deepcopy(v.read(self._record(v, assistant_id)))

    def assistants(self, vendor: str, account: str | int | None = None) -> list[dict[str, Any]]:
        """The vendor's assistants as its read endpoints show them (copies), without
        deleted ones; only `account`'s (team, org or user id) when given."""
        v = self._vendor(vendor)
        with self._state.lock:
            return [
                copy.deepcopy(v.read(record))
                for record in self._state.assistants[v.name].values()
                if v.live(record) and (account is None or v.owner(record) == str(account))
            ]

    def stored(self, vendor: str, assistant_id: object) -> dict[str, Any]:
        """The raw stored record, including fields the vendor never shows (a copy)."""
        v = self._vendor(vendor)
        with self._state.lock:
            return copy.deepcopy(self._record(v, assistant_id))

    def edit(self, vendor: str, assistant_id: object, changes: dict[str, Any]) -> None:
        """A change made in the vendor's dashboard: merged at the top level, unchecked."""
        v = self._vendor(vendor)
        with self._state.lock:
            record = self._record(v, assistant_id)
            record.update(copy.deepcopy(changes))
            v.touch(record)
            self._state.changed()

    def add_assistant(
        self, vendor: str, record: dict[str, Any], account: str | int | None = None
    ) -> str:
        """Store a new assistant (stored form; missing fields get defaults) owned by
        `account` (team, org or user id; default: the sandbox credentials' account)."""
        v = self._vendor(vendor)
        with self._state.lock:
            full = v.insert(record, None if account is None else str(account))
            key = v.key(full[v.id_field])
            self._state.changed()
            return key

    def snapshot(self) -> dict[str, Any]:
        """The whole state in fixture form."""
        return self._state.snapshot()

    def reset(self) -> None:
        """Back to the state this sandbox started with: records, sessions, rate-limit
        windows, fault settings and counters, request log. Cheaper than a new server."""
        self._load_initial()
        for vendor in self._vendors.values():
            vendor.reset()
        self._planner.reset(self._initial_faults())
        self._log.clear()
        for gate in self._gates.values():
            gate.clear_scripts()

    # -- internals -----------------------------------------------------------------

    def _initial_faults(self) -> Faults:
        o = self.options
        return Faults.spread(o.fault_rate, o.latency_ms, o.jitter_ms)

    def _load_initial(self) -> None:
        with self._state.lock:
            records = self._state.load(self._initial)
            for name, vendor in self._vendors.items():
                for record in records[name]:
                    vendor.insert(record, None)
            self._state.changed()  # with a state file, it exists from the start

    def _vendor(self, vendor: str) -> Vendor:
        try:
            return self._vendors[vendor]
        except KeyError:
            raise ValueError(f"unknown vendor {vendor!r}; one of {', '.join(VENDORS)}") from None

    def _record(self, vendor: Vendor, assistant_id: object) -> dict[str, Any]:
        record = self._state.assistants[vendor.name].get(vendor.key(assistant_id))
        if record is None:
            raise KeyError(f"no {vendor.name} assistant {assistant_id!r}")
        return record
