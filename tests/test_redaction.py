from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from voiceops.errors import VoiceopsError
from voiceops.live.session import RunOptions
from voiceops.reconcile.context import RunContext
from voiceops.reconcile.redaction import Redactor
from voiceops.spec.validation import load_project

REPO = Path(__file__).resolve().parents[1]


def test_redactor_masks_longest_values_first() -> None:
    redactor = Redactor()
    redactor.add("secret", "secret-token-123", {"nested": ["abcd-efgh"]})
    text = "sent secret-token-123 and secret and abcd-efgh, other words stay"
    assert redactor.redact(text) == "sent *** and *** and ***, other words stay"


def test_a_short_secret_is_masked_where_it_stands_alone() -> None:
    redactor = Redactor()
    redactor.add("x9", "", "eu", "%")
    assert redactor.redact('token x9 sent, {"region":"eu"}') == 'token *** sent, {"region":"***"}'
    assert redactor.redact("x9x queue") == "x9x queue"
    assert redactor.redact("100%") == "100***"


def test_a_short_observed_value_is_not_masked() -> None:
    redactor = Redactor()
    redactor.add("1", observed=True)
    assert redactor.redact('{"format_version": 1}') == '{"format_version": 1}'


SECRET = "q\"w/'ä"


@pytest.mark.parametrize(
    "form",
    [
        r"""q\"w/'ä""",  # JSON-escaped
        r"""q\"w/'\u00e4""",  # JSON-escaped, ASCII only
        r"""q\"w\/'\u00e4""",  # JSON-escaped the PHP way
        r"""q\\\"w/'ä""",  # JSON-escaped twice
        "q%22w%2F%27%C3%A4",  # quote(safe="") and quote_plus
        "q%22w%2f%27%c3%a4",  # lower-case hex digits
        "q%22w/%27%C3%A4",  # quote()
        r"""q"w/\'ä""",  # repr
        r"""q"w/\'\xe4""",  # ascii()
    ],
)
def test_every_encoding_of_a_secret_is_masked(form: str) -> None:
    redactor = Redactor()
    redactor.add(SECRET)
    assert redactor.redact(f"said <{form}>") == "said <***>"


def test_an_error_leaving_a_run_is_scrubbed() -> None:
    project = load_project(REPO / "voiceops.yaml")

    async def run() -> None:
        async with RunContext(project, RunOptions(env={})) as context:
            context.redactor.add("hunter2-secret")
            raise VoiceopsError("the vendor said: hunter2-secret is invalid")

    with pytest.raises(VoiceopsError) as caught:
        asyncio.run(run())
    assert str(caught.value) == "the vendor said: *** is invalid"
