"""Setting up a command run: the project, the environment, and (with --sandbox) the sandbox."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from voiceops.errors import Diagnostic, InputErrors, Location
from voiceops.live.providers import credentials_for
from voiceops.live.session import RunOptions
from voiceops.reconcile.planning import reporting_connections
from voiceops.spec.accounts import managed_on, owners
from voiceops.spec.config import Config, load_config
from voiceops.spec.documents import AssistantSpec, load_specs
from voiceops.spec.schemas import SchemaStore
from voiceops.spec.validation import Project, load_project
from voiceops.spec.vendors import DEFAULT_FIELD_SET, FIELD_SET, credential_settings
from voiceops.spec.yamlsource import YamlDocument


@dataclasses.dataclass(frozen=True)
class SandboxEndpoints:
    base_urls: dict[str, str]  # provider type -> base URL
    credentials: dict[str, str]  # environment variable -> dummy value
    # (provider type, credential setting) -> dummy value, for variables of other names
    by_setting: dict[tuple[str, str], str] = dataclasses.field(default_factory=dict)
    # Tells the stand-ins what the run's connections speak (Autocalls' field set).
    speak: Callable[[Config], None] = lambda _config: None


@contextmanager
def embedded_sandbox() -> Iterator[SandboxEndpoints]:
    """The sandbox, served on a free loopback port for the length of one command."""
    from voiceops.sandbox import Sandbox, SandboxOptions

    sandbox = Sandbox(SandboxOptions())

    def speak(config: Config) -> None:
        # One Autocalls stand-in serves every connection: the older set when they all take it.
        sets = {c.setting(FIELD_SET, DEFAULT_FIELD_SET) for c in config.connections.values()
                if c.type == "autocalls"}  # fmt: skip
        if sets == {"legacy"}:
            sandbox.use_options("autocalls", autocalls_fields="legacy")

    with sandbox.serve(port=0):
        yield SandboxEndpoints(
            dict(sandbox.base_urls),
            dict(sandbox.credentials),
            sandbox.credentials_by_setting,
            speak,
        )


@contextmanager
def sandbox_if(enabled: bool) -> Iterator[SandboxEndpoints | None]:
    """The embedded sandbox when `--sandbox` was given, else nothing."""
    if not enabled:
        yield None
        return
    with embedded_sandbox() as endpoints:
        yield endpoints


def point_at(config: Config, base_urls: Mapping[str, str]) -> Config:
    """`config` with every connection's base_url replaced by the one for its type."""
    connections = {
        name: dataclasses.replace(c, settings={**c.settings, "base_url": base_urls[c.type]})
        for name, c in config.connections.items()
    }
    return dataclasses.replace(config, connections=connections)


def sandbox_environment(project: Project, endpoints: SandboxEndpoints) -> dict[str, str]:
    """The environment for a sandbox run: dummy credentials, and a placeholder for each
    `${env:…}` the specs use that is not set, so a first run needs no secrets at all."""
    env = {**os.environ, **endpoints.credentials}
    for spec in project.specs:
        for _, name in spec.references:
            env.setdefault(name, f"sandbox-placeholder-{name.lower()}")
            if os.environ.get(name) == "":
                # Set but empty is refused as in a real run, not papered over by a default.
                env[name] = ""
    for connection in project.config.connections.values():
        for setting in credential_settings(project.schemas, connection.type):
            variable = connection.setting(setting)
            if variable and variable not in endpoints.credentials:
                # e.g. an environment's EDMO_STAGING_EMAIL gets the sandbox's Edmo e-mail
                env.setdefault(
                    variable, endpoints.by_setting.get((connection.type, setting), "sandbox")
                )
    return env


def prepare_connections(
    config_path: Path | None,
    *,
    sandbox: SandboxEndpoints | None = None,
    environment: str | None = None,
) -> tuple[Project, RunOptions]:
    """Like `prepare`, for commands that need the connections but not valid specs (import).
    Specs that do validate are still loaded (as `environment` sees them), so import can
    find the files it overwrites; the ids of every document, valid or not, count per
    account as in `load_project`."""
    schemas = SchemaStore()
    config = load_config(config_path, schemas).choose(environment)
    specs, every, documents = _documents(config, schemas)
    account_ids = managed_on(owners(documents, config, schemas), config, schemas)
    project = Project(
        config,
        specs,
        schemas,
        [],
        managed=len(specs),
        untargeted=every or None,
        account_ids=account_ids,
        documents=documents,
    )
    return _with_environment(project, sandbox, None)


def _documents(
    config: Config, schemas: SchemaStore
) -> tuple[list[AssistantSpec], list[AssistantSpec], list[YamlDocument]]:
    """The valid specs of the chosen environment, those of every environment, and every
    document read."""
    if not config.assistants_dir.is_dir():
        return [], [], []
    # A document this environment leaves out still holds its name (and its file).
    by_environment = {
        name: load_specs([config.assistants_dir], config.in_environment(name), schemas)
        for name in config.environments
    }
    every = [spec for loaded in by_environment.values() for spec in loaded.specs]
    chosen = by_environment.get(config.environment or "")
    if chosen is None:
        chosen = load_specs([config.assistants_dir], config, schemas)
    return chosen.specs, every, chosen.sources


def prepare(
    config_path: Path | None,
    *,
    targets: tuple[str, ...] = (),
    concurrency: int | None = None,
    sandbox: SandboxEndpoints | None = None,
    env: Mapping[str, str] | None = None,
    environment: str | None = None,
    connections: tuple[str, ...] = (),
    lenient: bool = False,
) -> tuple[Project, RunOptions]:
    """The project of `environment` (needed when voiceops.yaml defines environments) and the
    options of a run against it, refused before any request while a credential is missing.
    `connections` (--connection) limits the run to those connections."""
    project = load_project(
        config_path,
        targets=targets,
        environment=environment,
        connections=connections,
        lenient=lenient,
    )
    project, options = _with_environment(project, sandbox, env, concurrency)
    used = {s.connection for s in project.specs} | set(reporting_connections(project))
    check_ready(project, options.env, used, project.specs)
    return project, options


def check_ready(
    project: Project,
    env: Mapping[str, str],
    connections: Iterable[str],
    specs: Iterable[AssistantSpec],
) -> None:
    """Refuse the run before its first request unless every credential of `connections` and
    every `${env:…}` of `specs` can be used: nothing is sent while anything is missing."""
    config = project.config
    problems: list[Diagnostic] = []
    for name in sorted(set(connections)):
        connection = config.connection(name)
        credentials = credentials_for(connection, project.schemas, env)
        problems += [Diagnostic(p, connection.location) for p in credentials.problems.values()]
    for spec in specs:
        problems += spec.reference_problems(env)
    if problems:
        raise InputErrors(sorted(problems, key=lambda d: d.location or Location("")))


def _with_environment(
    project: Project,
    sandbox: SandboxEndpoints | None,
    env: Mapping[str, str] | None,
    concurrency: int | None = None,
) -> tuple[Project, RunOptions]:
    environment = dict(os.environ if env is None else env)
    if sandbox is not None:
        sandbox.speak(project.config)
        project = dataclasses.replace(project, config=point_at(project.config, sandbox.base_urls))
        environment = {**sandbox_environment(project, sandbox), **(env or {})}
    options = RunOptions(
        env=environment,
        concurrency=concurrency or project.config.concurrency,
        # A sandbox run must not touch the record of what production has applied, nor
        # the user's files.
        write_only_record=None if sandbox else project.config.write_only_record,
        write_back=sandbox is None,
    )
    return project, options
