"""Property: whatever a vendor answers to a read (random JSON, wrong types, a truncated
body, a web page, nothing), plan ends with a result for every assistant or a one-line
error for it, never an exception, and every output format renders.

The answers come over real HTTP from a misbehaving server on 127.0.0.1; one server and
one repository serve all the examples of a test.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import Workspace
from tests.integration.apply_helpers import SALES
from tests.integration.plan_helpers import add_spec, set_base_url
from tests.integration.test_fault_injection import CLINIC, SECOND
from tests.misbehaving import Answer, MisbehavingServer, Request
from voiceops.live.httpclient import RetryPolicy
from voiceops.reconcile import plan as plan_file
from voiceops.reconcile.planning import plan_project
from voiceops.reconcile.runner import prepare
from voiceops.render import markdown, text

ONCE = RetryPolicy(attempts=1)
PROPERTY = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=12),
)
json_values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)


def bodies(shaped: st.SearchStrategy[Any]) -> st.SearchStrategy[tuple[bytes, str]]:
    """(body, content type): JSON near the vendor's shape or far from it, cut short,
    HTML, non-finite numbers, nothing, or bytes."""
    as_json = shaped.map(lambda v: json.dumps(v).encode())
    truncated = st.tuples(as_json, st.integers(0, 200)).map(lambda t: t[0][: t[1]])
    return st.one_of(
        as_json.map(lambda b: (b, "application/json")),
        json_values.map(lambda v: (json.dumps(v).encode(), "application/json")),
        truncated.map(lambda b: (b, "application/json")),
        st.just((b"<!doctype html><html><body>Sign in</body></html>", "text/html")),
        st.sampled_from([b"NaN", b'{"name": Infinity}', b"", b"   ", b"null", b"[]", b"{}"]).map(
            lambda b: (b, "application/json")
        ),
        st.binary(max_size=40).map(lambda b: (b, "application/octet-stream")),
    )


statuses = st.sampled_from([200, 200, 200, 200, 201, 204, 400, 404, 429, 500, 503])


def overridden(base: dict[str, Any]) -> st.SearchStrategy[dict[str, Any]]:
    """`base` with some of its fields (and maybe new ones) of any type."""
    keys = st.sampled_from(sorted(base)) | st.text(max_size=8)
    return st.dictionaries(keys, json_values, max_size=4).map(lambda o: {**base, **o})


@pytest.fixture
def server() -> Iterator[MisbehavingServer]:
    bad = MisbehavingServer(lambda request: Answer(500))
    with bad.serve():
        yield bad


def plan_once(ws: Workspace) -> None:
    project, options = prepare(ws.config, env=ws.env)
    options = dataclasses.replace(options, retry=ONCE, timeout_s=5.0)
    plan, _ = asyncio.run(plan_project(project, options))
    for item in plan.assistants:
        assert item.error is None or isinstance(item.error, str)
        if item.error is not None:
            assert "\n" not in item.error, item.error
            assert "internal error" not in item.error, item.error
    text.render(plan, color=False)
    markdown.render(plan)
    json.loads(plan_file.dump(plan))


def test_any_answer_to_one_read_is_a_result_or_one_line(
    workspace: Workspace, server: MisbehavingServer
) -> None:
    live = workspace.sandbox.assistant("interactly", CLINIC)
    # Managed scalars and a nested object replaced whole, so that wrong types in the
    # answer meet the comparison and the update body.
    spec = {"name": "Second line", "idleTimeout": 30, "assistantServer": {"timeoutSeconds": 20}}
    add_spec(workspace, "second-line", "interactly-prod", SECOND, spec)
    set_base_url(workspace, "interactly-prod", server.url)
    good = Answer(200, json.dumps(live).encode())

    @PROPERTY
    @given(statuses, bodies(overridden({**live, "_id": SECOND})))
    def check(status: int, body: tuple[bytes, str]) -> None:
        bad = Answer(status, body[0], {"Content-Type": body[1]})
        server.route = lambda request: good if request.path.endswith(CLINIC) else bad
        plan_once(workspace)

    check()


def test_any_page_of_a_list_is_a_result_or_one_line(
    workspace: Workspace, server: MisbehavingServer
) -> None:
    item = workspace.sandbox.assistant(*SALES)
    set_base_url(workspace, "autocalls-sales", server.url)
    pages = st.fixed_dictionaries(
        {"data": st.lists(overridden(item) | json_values, max_size=3)},
        optional={
            "last_page": json_values | st.integers(0, 5000),
            "current_page": json_values | st.integers(1, 3),
        },
    )

    @PROPERTY
    @given(statuses, bodies(pages))
    def check(status: int, body: tuple[bytes, str]) -> None:
        answer = Answer(status, body[0], {"Content-Type": body[1]})

        def route(request: Request) -> Answer:
            return answer

        server.route = route
        plan_once(workspace)

    check()
