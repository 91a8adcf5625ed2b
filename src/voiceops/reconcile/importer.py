"""`voiceops import`: write spec files from live assistants, to start managing them.

Read-only fields are dropped, read names are mapped to write names, and sensitive values
become `${env:…}` references so that no secret is written to disk.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from voiceops.errors import VoiceopsError, display_path
from voiceops.live.httpclient import RequestFailed
from voiceops.live.providers.base import LiveState, Provider
from voiceops.live.session import connection_error
from voiceops.paths import dotted, drop, lookup, walk
from voiceops.reconcile.context import RunContext
from voiceops.reconcile.redaction import Redactor
from voiceops.spec.documents import AssistantSpec
from voiceops.spec.schemas import ERROR_MESSAGE, FieldPath
from voiceops.spec.yamlsource import YamlDocument, load_file


@dataclass
class ImportedAssistant:
    name: str
    id: str
    path: Path
    written: bool
    env_vars: dict[str, str] = field(default_factory=dict)  # variable -> field
    dropped: list[str] = field(default_factory=list)  # live values the schema rejects
    note: str = ""


async def import_assistants(
    run: RunContext,
    connection: str,
    ids: list[str] | None,
    out_dir: Path,
    *,
    force: bool = False,
) -> tuple[list[ImportedAssistant], list[str]]:
    """Write one file per assistant; returns what was done and the write-only field names."""
    if connection not in run.project.config.connections:
        known = ", ".join(sorted(run.project.config.connections)) or "none"
        raise VoiceopsError(f"voiceops.yaml has no connection {connection!r}; it has: {known}")
    _check_out_dir(out_dir)
    _check_ids(run, connection, ids or [])
    provider, client = await run.session.connect(connection)
    if ids is None:
        try:
            items = await provider.list_all(client)
        except VoiceopsError as exc:
            raise connection_error(provider, exc) from None
        live: dict[str, LiveState] = {
            provider.normalize_id(str(provider.live_id(item))): item for item in items
        }
    else:
        live = await run.session.read(connection, [provider.normalize_id(i) for i in ids])
    managed = {(s.connection, s.id): s for s in run.project.specs}
    taken = {s.name for s in run.project.specs}
    # Every assistant must have been read before any file is written.
    for assistant_id, raw in live.items():
        if raw is None:
            raise VoiceopsError(f"assistant {assistant_id!r} was not found on {connection!r} (404)")
        if isinstance(raw, RequestFailed):
            raise VoiceopsError(f"reading assistant {assistant_id!r} failed: {raw.message}")
    results = []
    id_form = run.project.schemas.validator(provider.type, "/$defs/id")
    for assistant_id, raw in live.items():
        assert isinstance(raw, dict)
        if not id_form.is_valid(assistant_id):
            # A file with that id would not validate, and the id would not be one path segment.
            note = (
                f"the vendor gave it the id {assistant_id!r}, "
                f"which is not a valid {provider.type} id"
            )
            name = slug(provider.display_name(raw) or provider.name)
            results.append(ImportedAssistant(name, assistant_id, out_dir, False, note=note))
            continue
        existing = managed.get((connection, assistant_id))
        result = _import_one(
            run, provider, assistant_id, raw, existing, taken, out_dir, force=force
        )
        taken.add(result.name)
        results.append(result)
    write_only = sorted(dotted(p) for p in provider.write_only)
    return results, write_only


def _check_ids(run: RunContext, connection: str, ids: list[str]) -> None:
    """Ids given with --id have their vendor's form, like ids in documents; checked before
    the first request."""
    kind = run.project.config.connections[connection].type
    validator = run.project.schemas.validator(kind, "/$defs/id")
    for assistant_id in ids:
        if not validator.is_valid(assistant_id):
            schema = run.project.schemas.document(kind)["$defs"]["id"]
            raise VoiceopsError(f"--id {assistant_id!r} is not valid: {schema[ERROR_MESSAGE]}")


def _import_one(
    run: RunContext,
    provider: Provider,
    assistant_id: str,
    raw: dict[str, Any],
    existing: AssistantSpec | None,
    taken: set[str],
    out_dir: Path,
    *,
    force: bool,
) -> ImportedAssistant:
    if existing is not None and len(_documents_in(existing)) == 1:
        name, path = existing.name, Path(existing.source)
    else:
        name = _unique(slug(provider.display_name(raw) or f"{provider.name}-{assistant_id}"), taken)
        path = out_dir / f"{name}.yaml"
    spec, env_vars = spec_from_live(run, provider, raw, name)
    dropped = drop_rejected(spec, run, provider)
    result = ImportedAssistant(
        name, assistant_id, path, written=False, env_vars=env_vars, dropped=dropped
    )
    if path.exists() and not force:
        result.note = f"{display_path(path)} exists; pass --force to overwrite it"
        return result
    document = {
        "apiVersion": "voiceops/v1",
        "kind": "Assistant",
        "metadata": {"name": name},
        "provider": provider.name,
        "id": raw.get(provider.id_field, assistant_id),
        "spec": spec,
    }
    schema = Path(os.path.relpath(_schema_dir(run), path.parent.resolve()))
    header = f"# yaml-language-server: $schema={schema.as_posix()}/assistant.schema.json\n"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(header + dump_yaml(document), encoding="utf-8")
    except OSError as exc:
        result.note = f"cannot write {display_path(path)}: {exc.strerror or exc}"
        return result
    result.written = True
    return result


def _check_out_dir(out_dir: Path) -> None:
    """Refuse an output directory that cannot be one, before anything is read."""
    for place in (out_dir, *out_dir.parents):
        if place.exists():
            if not place.is_dir():
                raise VoiceopsError(
                    f"cannot write into {display_path(out_dir)}: {display_path(place)} is a "
                    "file, not a directory; give --out a directory"
                )
            return


def spec_from_live(
    run: RunContext, provider: Provider, raw: dict[str, Any], name: str
) -> tuple[dict[str, Any], dict[str, str]]:
    """The live assistant as a spec: writable fields only, secrets as env references."""
    schemas = run.project.schemas
    writable = schemas.property_names(provider.type)
    shaped = provider.to_spec_shape(raw)
    spec = {k: literal(v) for k, v in shaped.items() if k in writable and v is not None}
    env_vars: dict[str, str] = {}
    for path in sorted(provider.sensitive):
        _replace_secrets(spec, path, name, env_vars)
    _replace_leaks(spec, name, env_vars, run.redactor)
    return spec, env_vars


def _replace_leaks(
    spec: dict[str, Any], name: str, found: dict[str, str], redactor: Redactor
) -> None:
    """A live value that holds one of the run's secrets (a vendor echoing a credential into
    a field) is written as a reference too, never as text in the repository."""
    for path, leaf in list(walk(spec)):
        if isinstance(leaf, str) and path and redactor.redact(leaf) != leaf:
            lookup(spec, path[:-1])[path[-1]] = f"${{env:{_variable(name, path, found)}}}"


def literal(value: Any) -> Any:
    """A live value as spec text that means exactly it: `${` is written `$${`, so that a
    dashboard edit such as `Hi ${env:INTERACTLY_API_KEY}` stays text and is never resolved
    (which would send the variable's value to the vendor on the next apply)."""
    if isinstance(value, str):
        return value.replace("${", "$${")
    if isinstance(value, dict):
        return {key: literal(item) for key, item in value.items()}
    if isinstance(value, list):
        return [literal(item) for item in value]
    return value


def drop_rejected(spec: dict[str, Any], run: RunContext, provider: Provider) -> list[str]:
    """Remove live values the schema rejects (e.g. a field the vendor's own rules forbid in
    this combination). They stay unmanaged, which is safe; each is reported."""
    validator = run.project.schemas.validator(provider.type)
    dropped: list[str] = []
    for _ in range(10):
        errors = [e for e in validator.iter_errors(spec) if e.absolute_path]
        if not errors:
            break
        for error in errors:
            path = tuple(error.absolute_path)
            if drop(spec, path):
                reason = error.schema.get(ERROR_MESSAGE) if isinstance(error.schema, dict) else None
                dropped.append(f"{dotted(path)} ({reason or error.message})")
    return dropped


def _replace_secrets(
    spec: dict[str, Any], path: FieldPath, name: str, found: dict[str, str]
) -> None:
    parent = lookup(spec, path[:-1])
    if not isinstance(parent, dict) or path[-1] not in parent:
        return
    value = parent[path[-1]]
    for sub, leaf in list(walk(value)):
        if not isinstance(leaf, str) or not leaf:
            continue
        reference = f"${{env:{_variable(name, (*path, *sub), found)}}}"
        if not sub:
            parent[path[-1]] = reference
        else:
            lookup(value, sub[:-1])[sub[-1]] = reference


def _variable(name: str, path: tuple[Any, ...], found: dict[str, str]) -> str:
    """The environment variable that will hold the value at `path`; recorded in `found`."""
    variable = re.sub(r"[^A-Z0-9]+", "_", f"{name}_{'_'.join(map(str, path))}".upper())
    found[variable] = dotted(path)
    return variable


def slug(text: str) -> str:
    cleaned = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return cleaned[:63].rstrip("-") or "assistant"


def _unique(name: str, taken: set[str]) -> str:
    candidate, n = name, 2
    while candidate in taken:
        candidate = f"{name[:60]}-{n}"
        n += 1
    return candidate


def _documents_in(spec: AssistantSpec) -> list[YamlDocument]:
    try:
        return load_file(Path(spec.source), spec.source)
    except (OSError, VoiceopsError):
        return []


def _schema_dir(run: RunContext) -> Path:
    """Where users keep the schemas for their editors: `schemas/` beside voiceops.yaml."""
    return run.project.config.root / "schemas"


class _Dumper(yaml.SafeDumper):
    pass


def _text(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _text)


def dump_yaml(document: dict[str, Any]) -> str:
    return yaml.dump(document, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100)
