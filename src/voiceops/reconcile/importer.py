"""`voiceops import`: write spec files from live assistants, to start managing them.

Read-only fields are dropped, read names are mapped to write names, and sensitive values
become `${env:…}` references so that no secret is written to disk.

An assistant that a document already manages is imported into that document, in place
(with `--force`), whatever else the file holds. The file is not rewritten: only the values
that differ from the live ones change, as precise text edits (`voiceops.spec.yamledit`), so
comments, key order, quoting, blank lines and the other documents stay byte for byte:
- a field whose live value differs from the document's gets the live value, its text
  replaced by text that loads back to exactly that value; objects are compared and
  updated field by field, recursively; lists, like any other value, as a whole;
- a field the document does not have stays out of it, at any depth: only what the spec
  manages is managed, so keeping the live values must not start managing more of them;
- a field the document has that import cannot read is kept as written: write-only fields
  and fields the vendor does not return (absent from the live state), live values the
  schema rejects (not imported), sensitive fields (import would write only a reference,
  and the live value may be masked), and `${env:…}` references whose variable is unset
  in this run or resolves to the live value (one that resolves to something else is
  replaced by the live value);
- `apiVersion`, `kind`, `metadata` (name, labels, description), `provider`, `id`,
  `ensure` and every other key outside `spec` stay as written.
With environments (`import --env NAME`), a live assistant is matched by that environment's
id (`environments.<env>.id`) and compared with the document's effective spec there. A value
the environment's patch (`environments.<env>.spec`) sets, itself or through a parent, is
edited in the patch; any other value in the base spec, which the other environments share
(their next plan shows the change). A new document holds the live spec as its base spec and
the id under `environments.<env>.id`; its name is not one any environment uses.
The edited text is loaded again and must hold exactly the intended data, or nothing is
written and the assistant is reported as skipped with one sentence (e.g. for an edit that
has no precise form). The write is atomic. Only the variables of references actually
written are listed for the user to set.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from voiceops.errors import VoiceopsError, display_path
from voiceops.live.httpclient import Client, RequestFailed
from voiceops.live.providers.base import LiveState, Provider
from voiceops.live.session import connection_error
from voiceops.paths import dotted, drop, lookup, walk
from voiceops.reconcile.context import RunContext
from voiceops.reconcile.importupdate import (
    KeepRules,
    as_references,
    document_edits,
    edited_fields,
    environment_edits,
    holds_secret,
    references_written,
)
from voiceops.reconcile.redaction import Redactor
from voiceops.spec.accounts import account_key, owners
from voiceops.spec.documents import AssistantSpec
from voiceops.spec.environments import ENVIRONMENTS
from voiceops.spec.envref import references_in
from voiceops.spec.schemas import ERROR_MESSAGE, FieldPath
from voiceops.spec.vendors import normalize_id
from voiceops.spec.writeback import edit_file
from voiceops.spec.yamledit import Edit, Quoted, dump_yaml, edit_document
from voiceops.spec.yamlsource import YamlDocument


@dataclass
class ImportedAssistant:
    name: str
    id: str
    path: Path
    written: bool
    env_vars: dict[str, str] = field(default_factory=dict)  # variable -> field
    dropped: list[str] = field(default_factory=list)  # live values the schema rejects
    note: str = ""
    # Set when an existing document was updated in place: the fields that changed.
    updated: list[str] | None = None
    # Not written because a document manages it already (and --force was not given).
    already_managed: bool = False

    def scrubbed(self, redactor: Redactor) -> ImportedAssistant:
        """This result with secrets masked in the vendor-given text it holds."""
        return replace(
            self,
            id=redactor.redact(self.id),
            note=redactor.redact(self.note),
            dropped=[redactor.redact(d) for d in self.dropped],
        )


async def import_assistants(
    run: RunContext,
    connection: str,
    ids: list[str] | None,
    out_dir: Path,
    *,
    force: bool = False,
) -> tuple[list[ImportedAssistant], list[str]]:
    """Write one file per assistant; returns what was done and the write-only field names."""
    _check_connection(run, connection)
    _check_out_dir(out_dir)
    _check_ids(run, connection, ids or [])
    _check_owners_valid(run, connection, ids or [])
    provider, client = await run.session.connect(connection)
    if ids is None:
        live = await _read_all(provider, client)
    else:
        live = await run.session.read(connection, [provider.normalize_id(i) for i in ids])
    # Every assistant must have been read before any file is written.
    found = _all_found(live, connection, provider)
    _check_owners_valid(run, connection, list(found))
    importer = _Importer(run, provider, connection, out_dir, force=force)
    results = [importer.one(assistant_id, raw) for assistant_id, raw in found.items()]
    write_only = sorted(dotted(p) for p in provider.write_only)
    return results, write_only


def _check_connection(run: RunContext, connection: str) -> None:
    run.project.config.connection(connection)


def _check_ids(run: RunContext, connection: str, ids: list[str]) -> None:
    """Ids given with --id have their vendor's form, like ids in documents; checked before
    the first request."""
    kind = run.project.config.connections[connection].type
    validator = run.project.schemas.validator(kind, "/$defs/id")
    for assistant_id in ids:
        if not validator.is_valid(assistant_id):
            schema = run.project.schemas.document(kind)["$defs"]["id"]
            raise VoiceopsError(f"--id {assistant_id!r} is not valid: {schema[ERROR_MESSAGE]}")


def _check_owners_valid(run: RunContext, connection: str, ids: list[str]) -> None:
    """Refuse, before anything is written, an assistant that a document names (on this
    connection's account) but that does not validate: import knows neither its name nor its
    `${env:}` references for sure, and would overwrite the document with the live values."""
    project = run.project
    valid = {(s.doc.source, s.doc.index) for s in (*project.specs, *project.every_spec)}
    broken = [d for d in project.documents if (d.source, d.index) not in valid]
    if not broken or not ids:
        return
    config, schemas = project.config, project.schemas
    account = account_key(config.connections[connection], schemas)
    named = {
        assistant_id: found[0].location
        for (key, assistant_id), found in owners(broken, config, schemas).items()
        if key == account
    }
    for assistant_id in ids:
        where = named.get(normalize_id(schemas, config.connections[connection].type, assistant_id))
        if where is not None:
            raise VoiceopsError(
                f"this document names {assistant_id!r} but does not validate, so import "
                "would overwrite it; fix it first: voiceops validate",
                where,
            )


async def _read_all(provider: Provider, client: Client) -> dict[str, LiveState]:
    """Every assistant on the connection, by normalized id."""
    try:
        items = await provider.list_all(client)
    except VoiceopsError as exc:
        raise connection_error(provider, exc) from None
    return {provider.normalize_id(str(provider.live_id(item))): item for item in items}


def _all_found(
    live: dict[str, LiveState], connection: str, provider: Provider
) -> dict[str, dict[str, Any]]:
    """The assistants read, or the error for the first that was not found or failed."""
    found: dict[str, dict[str, Any]] = {}
    for assistant_id, raw in live.items():
        if raw is None:
            raise VoiceopsError(f"assistant {assistant_id!r} was not found on {connection!r} (404)")
        if isinstance(raw, dict) and provider.gone(raw):
            raise VoiceopsError(
                f"{provider.type.capitalize()} marks assistant {assistant_id!r} on "
                f"{connection!r} as deleted; import another one"
            )
        if isinstance(raw, RequestFailed):
            raise VoiceopsError(f"reading assistant {assistant_id!r} failed: {raw.message}")
        found[assistant_id] = raw
    return found


class _Importer:
    """Writes the files of one connection's assistants, each under a name not yet taken."""

    def __init__(
        self, run: RunContext, provider: Provider, connection: str, out_dir: Path, *, force: bool
    ) -> None:
        self.run, self.provider, self.out_dir, self.force = run, provider, out_dir, force
        self.managed = {s.id: s for s in run.project.specs if s.connection == connection}
        # In any environment, and also the names of documents that do not validate.
        self.taken = {s.name for s in run.project.every_spec} | _names(run.project.documents)
        self.id_form = run.project.schemas.validator(provider.type, "/$defs/id")
        self.secrets = self._known_secrets()
        # Managed on the same account through another environment or connection.
        self.elsewhere = run.project.managed_ids(connection)

    def one(self, assistant_id: str, raw: dict[str, Any]) -> ImportedAssistant:
        if not self.id_form.is_valid(assistant_id):
            return self._unusable_id(assistant_id, raw)
        existing = self.managed.get(assistant_id)
        if existing is None and self.provider.normalize_id(assistant_id) in self.elsewhere:
            return self._managed_elsewhere(assistant_id, raw)
        name, path = self._destination(assistant_id, raw, existing)
        self.taken.add(name)
        spec, env_vars = spec_from_live(self.run, self.provider, raw, name, self.secrets)
        dropped = drop_rejected(spec, self.run, self.provider)
        result = ImportedAssistant(
            name, assistant_id, path, written=False, env_vars=env_vars, dropped=dropped
        )
        if existing is not None and not self.force:
            result.note = (
                f"already managed by {display_path(path)}; pass --force to update it in place"
            )
            result.already_managed = True
            return result
        if path.exists() and not self.force:
            result.note = f"{display_path(path)} exists; pass --force to overwrite it"
            return result
        if existing is not None:
            return self._update(existing, spec, result)
        document = self._document(name, assistant_id, raw, spec)
        result.note = _write(path, document, _schema_dir(self.run))
        result.written = not result.note
        return result

    def _managed_elsewhere(self, assistant_id: str, raw: dict[str, Any]) -> ImportedAssistant:
        # A second document for it would manage one assistant twice (validate refuses it).
        note = (
            f"a document already manages {assistant_id!r} on the same account, in another "
            "environment or through another connection; it is not imported again"
        )
        name = slug(self.provider.display_name(raw) or self.provider.name)
        return ImportedAssistant(name, assistant_id, self.out_dir, False, note=note)

    def _unusable_id(self, assistant_id: str, raw: dict[str, Any]) -> ImportedAssistant:
        # A file with that id would not validate, and the id would not be one path segment.
        provider = self.provider
        note = (
            f"the vendor gave it the id {assistant_id!r}, which is not a valid {provider.type} id"
        )
        name = slug(provider.display_name(raw) or provider.name)
        return ImportedAssistant(name, assistant_id, self.out_dir, False, note=note)

    def _update(
        self, existing: AssistantSpec, spec: dict[str, Any], result: ImportedAssistant
    ) -> ImportedAssistant:
        """The live values written into the document that manages the assistant, in place."""
        secrets = self.secrets
        rules = KeepRules(
            self.provider.sensitive,
            frozenset(f"${{env:{variable}}}" for variable in result.env_vars),
            self.run.options.env,
            secrets,
        )
        edits = _edits(existing, spec, rules)
        if holds_secret([e.value for e in edits], {*secrets, *self.run.redactor.secrets}):
            result.note = (
                f"a live value for {existing.source} holds a secret voiceops cannot write as an "
                "${env:…} reference; nothing was written, edit the document by hand"
            )
            return result
        written = references_written(edits)
        result.env_vars = {v: f for v, f in result.env_vars.items() if v in written}
        result.updated = edited_fields(edits)
        if existing.environment is not None:
            edits = environment_edits(existing.doc, existing.environment, edits)
        if edits:
            source, index = existing.source, existing.doc.index
            try:
                edit_file(
                    result.path,
                    lambda text: edit_document(text, index, edits, source),
                    root=self.run.project.config.root,
                    source=source,
                    what="the imported values",
                )
            except VoiceopsError as exc:
                result.note = str(exc)
                return result
        result.written = True
        return result

    def _known_secrets(self) -> dict[str, str]:
        """The values of the variables the repository's documents refer to (set in this
        run), each with its variable; masked in every output from now on."""
        env = self.run.options.env
        secrets: dict[str, str] = {}
        # The documents that do not validate too: their references are no less secret.
        every = [spec.references for spec in self.run.project.every_spec]
        every += [tuple(references_in(doc.data)) for doc in self.run.project.documents]
        for references in every:
            for _, variable in references:
                value = env.get(variable)
                if value:
                    secrets.setdefault(value, variable)
        self.run.redactor.add(*secrets)
        return secrets

    def _destination(
        self, assistant_id: str, raw: dict[str, Any], existing: AssistantSpec | None
    ) -> tuple[str, Path]:
        """An assistant already managed is imported into the file that manages it."""
        if existing is not None:
            return existing.name, Path(existing.source)
        fallback = f"{self.provider.name}-{assistant_id}"
        name = _unique(slug(self.provider.display_name(raw) or fallback), self.taken)
        return name, self.out_dir / f"{name}.yaml"

    def _document(
        self, name: str, assistant_id: str, raw: dict[str, Any], spec: dict[str, Any]
    ) -> dict[str, Any]:
        """A new document; with environments, the id is the chosen environment's, and the
        live spec is the base spec every environment shares."""
        live_id = raw.get(self.provider.id_field, assistant_id)
        envelope = {
            "apiVersion": "voiceops/v1",
            "kind": "Assistant",
            "metadata": {"name": name},
            "provider": self.provider.name,
        }
        env = self.run.project.config.environment
        if env is None:
            return {**envelope, "id": live_id, "spec": spec}
        return {**envelope, "spec": spec, ENVIRONMENTS: {env: {"id": Quoted(str(live_id))}}}


def _names(documents: list[YamlDocument]) -> set[str]:
    names = (lookup(doc.data, ("metadata", "name")) for doc in documents)
    return {name for name in names if isinstance(name, str)}


def _edits(existing: AssistantSpec, spec: dict[str, Any], rules: KeepRules) -> list[Edit]:
    """The edits that bring the document's spec (with environments: the effective spec of
    its environment) to the imported one."""
    if existing.environment is None:
        return document_edits(existing.doc.data, spec, rules)
    return document_edits({"spec": existing.spec}, spec, rules)


def _write(path: Path, document: dict[str, Any], schema_dir: Path) -> str:
    """Write the file, pointing editors at the schema where the repository has one; the
    reason when it cannot be written."""
    header = ""
    if (schema_dir / "assistant.schema.json").is_file():
        schema = Path(os.path.relpath(schema_dir, path.parent.resolve()))
        header = f"# yaml-language-server: $schema={schema.as_posix()}/assistant.schema.json\n"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(header + dump_yaml(document), encoding="utf-8")
    except OSError as exc:
        return f"cannot write {display_path(path)}: {exc.strerror or exc}"
    return ""


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
    run: RunContext,
    provider: Provider,
    raw: dict[str, Any],
    name: str,
    secrets: Mapping[str, str],
) -> tuple[dict[str, Any], dict[str, str]]:
    """The live assistant as a spec: writable fields only, secrets as env references (the
    repository's own variables where a value holds theirs, `secrets`)."""
    schemas = run.project.schemas
    writable = schemas.property_names(provider.spec_schema)
    shaped = provider.to_spec_shape(raw)
    spec = {k: literal(v) for k, v in shaped.items() if k in writable and v is not None}
    spec = as_references(spec, secrets)
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
    validator = run.project.schemas.validator(provider.spec_schema)
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


def _schema_dir(run: RunContext) -> Path:
    """Where users keep the schemas for their editors: `schemas/` beside voiceops.yaml."""
    return run.project.config.root / "schemas"
