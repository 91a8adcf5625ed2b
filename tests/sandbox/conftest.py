from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack
from typing import Any

import httpx
import pytest

from voiceops.sandbox import Sandbox, SandboxOptions

CLINIC = "5f7b1b1b1b1b1b1b1b1b1b1b"
TIMEOUT = httpx.Timeout(10.0)


@pytest.fixture
def stack() -> Iterator[ExitStack]:
    with ExitStack() as s:
        yield s


@pytest.fixture
def serve(stack: ExitStack) -> Callable[..., Sandbox]:
    """Start a sandbox with the given SandboxOptions fields; stopped after the test."""

    def start(**options: Any) -> Sandbox:
        sb = Sandbox(SandboxOptions(**options))
        stack.enter_context(sb.serve(port=0))
        return sb

    return start


@pytest.fixture(scope="session")
def shared_sandbox() -> Iterator[Sandbox]:
    sb = Sandbox()
    with sb.serve(port=0):
        yield sb


@pytest.fixture
def sb(shared_sandbox: Sandbox) -> Sandbox:
    """A served sandbox with default options, back in its initial state."""
    shared_sandbox.reset()
    return shared_sandbox


def _client(stack: ExitStack, base_url: str, token: str | None = None) -> httpx.Client:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return stack.enter_context(httpx.Client(base_url=base_url, headers=headers, timeout=TIMEOUT))


@pytest.fixture
def client_for(stack: ExitStack) -> Callable[..., httpx.Client]:
    """client_for(sb, vendor, token=...) -> a client whose base URL is the vendor's."""

    def make(sb: Sandbox, vendor: str, token: str | None = None) -> httpx.Client:
        return _client(stack, sb.base_urls[vendor], token)

    return make


@pytest.fixture
def interactly(sb: Sandbox, stack: ExitStack) -> httpx.Client:
    base = sb.base_urls["interactly"] + "/assistants/v1/assistants"
    return _client(stack, base, sb.credentials["INTERACTLY_API_KEY"])


@pytest.fixture
def edmo(sb: Sandbox, stack: ExitStack) -> httpx.Client:
    """Logged in."""
    client = _client(stack, sb.base_urls["edmo"])
    login(client, sb)
    return client


def login(client: httpx.Client, sb: Sandbox) -> httpx.Response:
    creds = sb.credentials
    response = client.post(
        "/auth/login", json={"email": creds["EDMO_EMAIL"], "password": creds["EDMO_PASSWORD"]}
    )
    assert response.status_code == 200, response.text
    return response


@pytest.fixture
def invent(sb: Sandbox, stack: ExitStack) -> httpx.Client:
    base = sb.base_urls["invent"] + "/orgs/c"
    return _client(stack, base, sb.credentials["INVENT_API_KEY"])


@pytest.fixture
def autocalls(sb: Sandbox, stack: ExitStack) -> httpx.Client:
    return _client(stack, sb.base_urls["autocalls"] + "/user", sb.credentials["AUTOCALLS_TOKEN"])


@pytest.fixture
def edmo_login() -> Callable[[httpx.Client, Sandbox], httpx.Response]:
    return login
