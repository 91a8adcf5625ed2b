from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from voiceops.engine import RunOptions, Session
from voiceops.errors import VoiceopsError
from voiceops.redaction import Redactor
from voiceops.validation import load_project

REPO = Path(__file__).resolve().parents[1]


def test_redactor_masks_longest_values_first() -> None:
    redactor = Redactor()
    redactor.add("secret", "secret-token-123", {"nested": ["abcd-efgh"]}, "ab")
    text = "sent secret-token-123 and secret and abcd-efgh, ab stays"
    assert redactor.redact(text) == "sent *** and *** and ***, ab stays"


def test_an_error_leaving_a_session_is_scrubbed() -> None:
    project = load_project(REPO / "voiceops.yaml")

    async def run() -> None:
        async with Session(project, RunOptions(env={})) as session:
            session.redactor.add("hunter2-secret")
            raise VoiceopsError("the vendor said: hunter2-secret is invalid")

    with pytest.raises(VoiceopsError) as caught:
        asyncio.run(run())
    assert str(caught.value) == "the vendor said: *** is invalid"
