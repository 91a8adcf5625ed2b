"""The edits `import --force` makes to a document that already manages the assistant
(the rules are in `voiceops.reconcile.importer`'s docstring)."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import Any

from voiceops.paths import walk
from voiceops.reconcile.changes import diff
from voiceops.reconcile.redaction import SHORT, is_sensitive
from voiceops.spec import envref
from voiceops.spec.environments import ENVIRONMENTS, written_at
from voiceops.spec.schemas import FieldPath
from voiceops.spec.yamledit import Add, Edit, Replace
from voiceops.spec.yamlsource import YamlDocument


@dataclass(frozen=True)
class KeepRules:
    """What tells a value import cannot read from one it can.

    `sensitive`: the vendor's secret fields; `generated`: the references import wrote in
    place of secrets (`${env:…}`); `env`: the run's environment, to resolve the file's own
    references; `secrets`: the values of the variables the repository refers to, each with
    its variable, written back as references wherever a new value holds them."""

    sensitive: frozenset[FieldPath]
    generated: frozenset[str]
    env: Mapping[str, str]
    secrets: Mapping[str, str] = field(default_factory=dict)


def document_edits(data: Any, spec: dict[str, Any], rules: KeepRules) -> list[Edit]:
    """The edits that bring the document `data` to the imported `spec`, keeping what import
    cannot read; none when the document already says what the vendor has."""
    if not isinstance(data, dict):
        return []
    if "spec" not in data:
        return [Add((), "spec", spec)]
    if not isinstance(data["spec"], dict):
        return [Replace(("spec",), spec)]
    edits: list[Edit] = []
    _collect(data["spec"], spec, ("spec",), rules, edits)
    return edits


def _collect(
    old: dict[str, Any],
    new: dict[str, Any],
    at: tuple[str, ...],
    rules: KeepRules,
    edits: list[Edit],
) -> None:
    for key, value in new.items():
        path = (*at, key)
        if key not in old:
            continue  # not managed by the document: it stays out
        if isinstance(old[key], dict) and isinstance(value, dict):
            _collect(old[key], value, path, rules, edits)
        elif not _kept(path[1:], old[key], value, rules) and not _same(old[key], value):
            edits.append(Replace(path, as_references(value, rules.secrets)))


def _kept(spec_path: tuple[str, ...], old: Any, new: Any, rules: KeepRules) -> bool:
    """Whether the file's value stays as written although the imported one differs."""
    if is_sensitive(spec_path, rules.sensitive, frozenset()):
        return True  # import reads a secret (or a mask) there, never the file's reference
    if any(isinstance(leaf, str) and leaf in rules.generated for _, leaf in walk(new)):
        return True  # a credential the vendor echoed: written only as a reference
    references = envref.references_in(old)
    if not references:
        return False
    if any(envref.problem(variable, rules.env) for _, variable in references):
        return True  # the file's reference cannot be resolved here, so it cannot be compared
    # `new` is spec text (`$${` for a literal `${`, references where it holds a known
    # secret); both sides compared as the values sent.
    return _same(envref.resolve(old, rules.env), envref.resolve(new, rules.env))


def as_references(value: Any, secrets: Mapping[str, str]) -> Any:
    """`value` (spec text) with each secret in it written as its `${env:…}` reference: a
    live value that differs from the file's template keeps the template's references. A
    value shorter than the redactor's masking length is replaced only where it is the
    whole text (inside words it would match by chance)."""
    if isinstance(value, dict):
        return {key: as_references(item, secrets) for key, item in value.items()}
    if isinstance(value, list):
        return [as_references(item, secrets) for item in value]
    if not isinstance(value, str):
        return value
    for secret in sorted(secrets, key=len, reverse=True):
        if value == secret or (len(secret) >= SHORT and secret in value):
            value = value.replace(secret, f"${{env:{secrets[secret]}}}")
    return value


def holds_secret(value: Any, secrets: Collection[str]) -> bool:
    """Whether any text in `value` still holds one of `secrets` (of masking length)."""
    texts = [leaf for _, leaf in walk(value) if isinstance(leaf, str)]
    return any(s in text for text in texts for s in secrets if len(s) >= SHORT or s == text)


def _same(old: Any, new: Any) -> bool:
    """Equal as JSON values (`1` and `1.0` are, `1` and `true` are not), as far as the
    file's value manages: a key a live list item has and the file's item leaves out is
    not a difference, as in a plan."""
    return not diff({"value": new}, {"value": old})


def references_written(edits: list[Edit]) -> set[str]:
    """The variables the edits' values refer to."""
    return {
        variable for edit in edits for _, variable in envref.references_in(edit.value) if variable
    }


def edited_fields(edits: list[Edit]) -> list[str]:
    """The spec fields the edits change or add, dotted."""
    paths = [edit.path if isinstance(edit, Replace) else (*edit.path, edit.key) for edit in edits]
    return [".".join(path[1:]) or "spec" for path in paths]


def environment_edits(doc: YamlDocument, env: str, edits: list[Edit]) -> list[Edit]:
    """Edits of the effective spec of environment `env` (paths under `spec`) as edits of
    the document: a value the environment's patch (`environments.<env>.spec`) sets, itself
    or through a parent, is edited there; any other value in the base spec, which every
    environment that does not patch it shares."""
    overlay = (ENVIRONMENTS, env, "spec")

    def moved(edit: Edit) -> Edit:
        if not isinstance(edit, Replace):
            return edit
        path = written_at(doc, ("spec",), overlay, edit.path[1:])
        return Replace(tuple(str(part) for part in path), edit.value)

    return [moved(edit) for edit in edits]
