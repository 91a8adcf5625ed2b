"""A connection's credentials, read from the environment variables its `*_env` settings name.

Resolved before an adapter is built: the adapter is handed the values and only says how it
uses them (headers, a login). Problems are told without ever showing a value.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from voiceops.errors import VoiceopsError
from voiceops.spec.config import Connection


@dataclass(frozen=True)
class Credentials:
    connection: Connection
    variables: dict[str, str]  # setting -> environment variable it names
    values: dict[str, str]  # setting -> value, for each variable set and not empty
    problems: dict[str, str]  # setting -> why its value cannot be used

    def value(self, setting: str) -> str:
        problem = self.problems.get(setting)
        if problem:
            raise VoiceopsError(problem, self.connection.location)
        return self.values[setting]

    def secrets(self) -> list[str]:
        """Every value, usable or not, so that outputs can be scrubbed of them."""
        return list(self.values.values())


def resolve_credentials(
    connection: Connection,
    settings: tuple[str, ...],
    header_settings: tuple[str, ...],
    env: Mapping[str, str],
) -> Credentials:
    """The values of the variables `settings` name; those of `header_settings` are sent in
    an HTTP header, so they must be fit for one."""
    variables = {s: str(connection.setting(s) or "") for s in settings}
    values = {s: env[v] for s, v in variables.items() if env.get(v)}
    problems = {}
    for setting, variable in variables.items():
        problem = _problem(connection.name, variable, env.get(variable), setting in header_settings)
        if problem:
            problems[setting] = problem
    return Credentials(connection, variables, values, problems)


def _problem(name: str, variable: str, value: str | None, in_header: bool) -> str | None:
    if value is None:
        return f"connection {name!r} needs the environment variable {variable}, which is not set"
    if value == "":
        return (
            f"connection {name!r} needs the environment variable {variable}, which is set but empty"
        )
    flaw = header_flaw(value) if in_header else None
    if flaw:
        return (
            f"connection {name!r}: the value of the environment variable {variable} "
            f"cannot be sent in an HTTP header: {flaw}; set it to the credential alone"
        )
    return None


def header_flaw(value: str) -> str | None:
    """What keeps `value` from being sent as (part of) an HTTP header value, or None."""
    if value != value.rstrip("\r\n"):
        return "it ends with a line break"
    if value != value.strip():
        return "it starts or ends with white space"
    if not value.isascii():
        return "it contains non-ASCII characters"
    if not value.isprintable():
        return "it contains control characters"
    return None
