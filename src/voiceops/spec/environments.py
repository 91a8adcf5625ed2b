"""Environments: one repository driving several copies of the same assistants.

`voiceops.yaml` may define `environments:` (staging, production, one account per region).
Each environment sees the base `providers` with its own `environments.<env>.providers`
merged over them, and each assistant document the base `spec` with its own
`environments.<env>.spec` merged over it (both JSON Merge Patch, RFC 7396). A document names
its id per environment, can leave an environment out with `false`, and an error in what an
environment changes points at the environment's line, not the base's.

These are the pure pieces: from loaded data to the effective values, and from a path in an
effective value back to the line that wrote it. Reading files, `--env` and checking against
the schemas belong to the callers.
"""

from __future__ import annotations

import difflib
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from voiceops.errors import Diagnostic, Location, VoiceopsError
from voiceops.paths import lookup
from voiceops.spec.mergepatch import merge_patch
from voiceops.spec.yamlsource import YamlDocument, YamlPath

ENVIRONMENTS = "environments"
PRESENT = "present"
_ABSENT: Any = object()


def environment_names(config_data: Mapping[str, Any]) -> tuple[str, ...]:
    """The environments `voiceops.yaml` defines, in the file's order; none without
    `environments:`."""
    environments = config_data.get(ENVIRONMENTS)
    return tuple(environments) if isinstance(environments, dict) else ()


def unknown_environment(name: str, names: Sequence[str]) -> str:
    """One sentence for an environment `voiceops.yaml` does not define."""
    if not names:
        return f"voiceops.yaml defines no environments, so there is no environment {name!r}"
    message = f"unknown environment {name!r}"
    close = difflib.get_close_matches(name, names, n=1, cutoff=0.6)
    if close:
        message += f"; did you mean {close[0]!r}?"
    return f"{message} (voiceops.yaml defines {', '.join(sorted(names))})"


def effective_providers(config_data: Mapping[str, Any], env: str) -> dict[str, Any]:
    """The `providers` of `voiceops.yaml` as environment `env` sees them: the base mapping
    with `environments.<env>.providers` merged over it. A connection the overlay sets to
    null does not exist in `env`; one only the overlay names exists only there.

    Raises `VoiceopsError` (one sentence) for an environment the file does not define, and
    for an overlay that would leave something other than a mapping."""
    names = environment_names(config_data)
    if env not in names:
        raise VoiceopsError(unknown_environment(env, names))
    # `production:` with nothing after it: an environment that changes nothing.
    overlay = config_data[ENVIRONMENTS][env] or {}
    base = config_data.get("providers")
    base = base if isinstance(base, dict) else {}
    if not isinstance(overlay, dict):
        raise VoiceopsError(
            f"{ENVIRONMENTS}.{env} must be a mapping (`{env}: {{}}` changes nothing)"
        )
    if "providers" not in overlay:
        return dict(merge_patch(base, {}))
    result = merge_patch(base, overlay["providers"])
    if not isinstance(result, dict):
        raise VoiceopsError(
            f"{ENVIRONMENTS}.{env}.providers must be a mapping from connection names to "
            f"the settings that differ in {env}"
        )
    return result


@dataclass(frozen=True)
class EffectiveDocument:
    """One assistant document as one environment sees it.

    `id` is None where the assistant has not been created in that environment yet; `spec`
    still holds `${env:…}` references; `ensure` is as written (the schemas check it).
    A document `left_out` of the environment has its base spec here and nothing to do."""

    environment: str
    id: str | None
    spec: dict[str, Any]
    ensure: str = PRESENT
    left_out: bool = False
    problems: tuple[Diagnostic, ...] = ()


def effective_document(doc: YamlDocument, env: str) -> EffectiveDocument:
    """The document `doc` in environment `env` of a project that defines environments.

    `environments.<env>` may be absent (the base spec, no id yet), `false` (left out) or a
    mapping with optional `id`, `spec` (merged over the base spec) and `ensure` (replacing
    the top-level one). A top-level `id` is not used: it is reported in `problems`."""
    data: dict[str, Any] = doc.data if isinstance(doc.data, dict) else {}
    base = data.get("spec")
    base_spec: dict[str, Any] = base if isinstance(base, dict) else {}
    ensure = str(data.get("ensure", PRESENT))
    problems = _top_level_id(doc)
    overlay, found = _overlay(doc, env)
    problems += found
    if overlay is None:
        return EffectiveDocument(env, None, merge_patch(base_spec, {}), ensure, True, problems)
    spec, found = _effective_spec(doc, env, base_spec, overlay)
    raw_id = overlay.get("id")
    return EffectiveDocument(
        env,
        None if raw_id is None else str(raw_id),
        spec,
        str(overlay.get("ensure", ensure)),
        problems=problems + found,
    )


def _top_level_id(doc: YamlDocument) -> tuple[Diagnostic, ...]:
    if not isinstance(doc.data, dict) or "id" not in doc.data:
        return ()
    message = (
        "a top-level id is not used when voiceops.yaml defines environments; write it "
        f"as {ENVIRONMENTS}.<environment>.id under the environment it belongs to"
    )
    return (Diagnostic(message, doc.location(("id",), key=True)),)


def _overlay(doc: YamlDocument, env: str) -> tuple[dict[str, Any] | None, tuple[Diagnostic, ...]]:
    """What the document says for `env`: None when it leaves `env` out, else a mapping (empty
    when it says nothing); a value of another shape is a problem, and counts as nothing."""
    environments = doc.data.get(ENVIRONMENTS) if isinstance(doc.data, dict) else None
    if environments is None:
        return {}, ()
    if not isinstance(environments, dict):
        message = f"{ENVIRONMENTS} must be a mapping from environment names to what differs there"
        return {}, (Diagnostic(message, doc.location((ENVIRONMENTS,))),)
    if env not in environments:
        return {}, ()
    overlay = environments[env]
    if overlay is False:
        return None, ()
    if isinstance(overlay, dict):
        return overlay, ()
    message = (
        f"{ENVIRONMENTS}.{env} must be false (to leave the assistant out of {env}) or a "
        f"mapping with id, spec or ensure ({{}} keeps the base spec in {env})"
    )
    return {}, (Diagnostic(message, doc.location((ENVIRONMENTS, env))),)


def _effective_spec(
    doc: YamlDocument, env: str, base: dict[str, Any], overlay: dict[str, Any]
) -> tuple[dict[str, Any], tuple[Diagnostic, ...]]:
    if "spec" not in overlay:
        return merge_patch(base, {}), ()
    patch = overlay["spec"]
    if isinstance(patch, dict):
        return merge_patch(base, patch), ()
    message = f"{ENVIRONMENTS}.{env}.spec must be a mapping: the fields that differ in {env}"
    return merge_patch(base, {}), (Diagnostic(message, doc.location(_spec_patch(env))),)


def unknown_document_environments(doc: YamlDocument, names: Collection[str]) -> list[Diagnostic]:
    """An environment a document names that `voiceops.yaml` does not define, at its key."""
    environments = doc.data.get(ENVIRONMENTS) if isinstance(doc.data, dict) else None
    if not isinstance(environments, dict):
        return []
    ordered = sorted(names)
    return [
        Diagnostic(unknown_environment(name, ordered), doc.location((ENVIRONMENTS, name), key=True))
        for name in environments
        if name not in names
    ]


def written_at(doc: YamlDocument, base: YamlPath, overlay: YamlPath, path: YamlPath) -> YamlPath:
    """Where in `doc` the value at `path` was written, when the patch at `overlay` is merged
    over the value at `base`: in the overlay (`(*overlay, *path)`) when the patch replaces or
    removes `path` or a parent of it, or brings a mapping where the base has none; otherwise
    in the base (`(*base, *path)`). Either may not exist: `doc.location` then finds the
    nearest enclosing key or value."""
    data = doc.data
    patch = lookup(data, overlay, _ABSENT)
    for depth in range(len(path) + 1):
        if patch is _ABSENT:
            break
        if not isinstance(patch, dict):
            return (*overlay, *path)
        if depth == len(path):
            if not isinstance(lookup(data, (*base, *path)), dict):
                return (*overlay, *path)
            break
        patch = patch.get(path[depth], _ABSENT) if isinstance(path[depth], str) else _ABSENT
    return (*base, *path)


@dataclass(frozen=True)
class EnvironmentView:
    """A document's positions as environment `env` sees it: `location` and `surprise` as
    `YamlDocument` answers them, for paths in the effective document (`spec`, `id`,
    `ensure`, the rest as written), each at the line that wrote the value."""

    doc: YamlDocument
    env: str

    @property
    def source(self) -> str:
        return self.doc.source

    def location(self, path: YamlPath, *, key: bool = False) -> Location:
        return self.doc.location(self.written_at(path), key=key)

    def surprise(self, path: YamlPath) -> str | None:
        return self.doc.surprise(self.written_at(path))

    def written_at(self, path: YamlPath) -> YamlPath:
        """Where in the document the value at `path` of the effective document was written."""
        if path[:1] == ("spec",):
            return written_at(self.doc, ("spec",), _spec_patch(self.env), path[1:])
        if path == ("id",):
            return id_path(self.env)
        overlay = lookup(self.doc.data, (ENVIRONMENTS, self.env))
        if path == ("ensure",) and isinstance(overlay, dict) and "ensure" in overlay:
            return (ENVIRONMENTS, self.env, "ensure")
        return path


def id_path(env: str) -> YamlPath:
    """Where a document keeps its id in environment `env`, and where a create writes it."""
    return (ENVIRONMENTS, env, "id")


def document_id(data: Any, env: str | None) -> str | int | None:
    """The id a document's data names in `env` (its top-level `id` without environments);
    None when it names none, is left out of `env` (`false`), or names something that is no
    id (true, a list, a mapping)."""
    if not isinstance(data, dict):
        return None
    if env is None:
        value = data.get("id")
    else:
        environments = data.get(ENVIRONMENTS)
        own = environments.get(env) if isinstance(environments, dict) else None
        value = own.get("id") if isinstance(own, dict) else None
    return value if isinstance(value, str | int) and not isinstance(value, bool) else None


def _spec_patch(env: str) -> YamlPath:
    return (ENVIRONMENTS, env, "spec")
