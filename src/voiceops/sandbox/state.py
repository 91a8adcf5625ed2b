"""The sandbox's in-memory world: credentials, accounts and assistants per vendor.

The fixture format (also the `--state` file format, written as JSON):

    credentials: {ENV_VAR: value, ...}          # what the banner tells users to export
    <vendor>:
      <account tables>                          # keys, users, tokens: vendor-specific
      assistants: [<stored record>, ...]

The default state is each stand-in's seed, then `seed.yaml` (what no one vendor owns).
"""

from __future__ import annotations

import copy
import json
import os
import tempfile
import threading
from collections.abc import Callable, Iterable
from importlib import resources
from pathlib import Path
from typing import Any

import yaml


def _loader() -> type[yaml.SafeLoader]:
    # Timestamps stay strings: the stand-ins serve them back verbatim.
    class Loader(yaml.SafeLoader):
        pass

    Loader.yaml_implicit_resolvers = {
        first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }
    return Loader


def parse_fixture_text(text: str) -> dict[str, Any]:
    data = yaml.load(text, Loader=_loader())  # safe: the loader is a SafeLoader subclass
    if not isinstance(data, dict):
        raise ValueError("a sandbox fixture must be a mapping")
    return data


def _parse_state_text(text: str) -> dict[str, Any]:
    """A state file as `State.changed` writes it (JSON), or a fixture in YAML. JSON is read
    as JSON: YAML refuses some text JSON holds (a raw U+007F, escaped surrogate pairs)."""
    try:
        data = json.loads(text)
    except ValueError:
        return parse_fixture_text(text)
    if not isinstance(data, dict):
        raise ValueError("a sandbox fixture must be a mapping")
    return data


def _check_shape(data: dict[str, Any], vendors: tuple[str, ...]) -> None:
    """One sentence for a fixture of the wrong shape, before anything of it is used."""
    if not isinstance(data.get("credentials") or {}, dict):
        raise ValueError("credentials must be a mapping of variable names to values")
    for vendor in vendors:
        section = data.get(vendor) or {}
        if not isinstance(section, dict):
            raise ValueError(f"{vendor} must be a mapping")
        records = section.get("assistants") or []
        if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
            raise ValueError(f"{vendor}.assistants must be a list of mappings")


def default_fixture(seeds: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """The stand-ins' seeds merged, then the shared `seed.yaml`: credentials in that order,
    each vendor's section from its own seed."""
    shared = resources.files("voiceops.sandbox").joinpath("seed.yaml").read_text(encoding="utf-8")
    merged: dict[str, Any] = {"credentials": {}}
    for part in [*seeds, parse_fixture_text(shared)]:
        for key, value in part.items():
            if key == "credentials":
                merged["credentials"].update(value or {})
            else:
                merged[key] = value
    return merged


def load_fixture(
    fixture: str | os.PathLike[str] | dict[str, Any] | None,
    state_file: Path | None,
    default: Callable[[], dict[str, Any]],
) -> dict[str, Any]:
    """The persisted state if `state_file` exists, else `fixture`, else `default()`."""
    if state_file is not None and state_file.exists():
        return _parse_state_text(state_file.read_text(encoding="utf-8"))
    if isinstance(fixture, dict):
        return copy.deepcopy(fixture)
    if fixture is not None:
        return parse_fixture_text(Path(fixture).read_text(encoding="utf-8"))
    return default()


class State:
    """Shared by the HTTP handlers (server thread) and the Python API (caller's thread);
    every read or write of records happens under `lock`."""

    def __init__(self, state_file: Path | None, vendors: tuple[str, ...]) -> None:
        self.lock = threading.RLock()
        self.state_file = state_file
        self.vendors = vendors
        self.credentials: dict[str, str] = {}
        self.accounts: dict[str, dict[str, Any]] = {v: {} for v in vendors}
        self.assistants: dict[str, dict[str, dict[str, Any]]] = {v: {} for v in vendors}

    def load(self, data: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
        """Replace credentials and accounts with the fixture's and drop every
        assistant; returns the fixture's assistant records per vendor."""
        _check_shape(data, self.vendors)
        data = copy.deepcopy(data)
        records: dict[str, list[dict[str, Any]]] = {}
        with self.lock:
            self.credentials = {str(k): str(v) for k, v in (data.get("credentials") or {}).items()}
            for vendor in self.vendors:
                section = dict(data.get(vendor) or {})
                records[vendor] = list(section.pop("assistants", None) or [])
                self.accounts[vendor] = section
                self.assistants[vendor] = {}
        return records

    def snapshot(self) -> dict[str, Any]:
        with self.lock:
            data: dict[str, Any] = {"credentials": dict(self.credentials)}
            for vendor in self.vendors:
                data[vendor] = {
                    **self.accounts[vendor],
                    "assistants": list(self.assistants[vendor].values()),
                }
            return copy.deepcopy(data)

    def changed(self) -> None:
        """Call after every change, holding `lock`."""
        if self.state_file is None:
            return
        text = json.dumps(self.snapshot(), indent=2, ensure_ascii=False)
        target = self.state_file
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(text)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
