"""Error lines on stderr: one line each, `path:line:col: message` where a file is at fault,
else `error: message`; vendor text cannot break the line or show a secret."""

from __future__ import annotations

from voiceops.cli.common import error_line
from voiceops.reconcile.redaction import Redactor


def test_vendor_text_cannot_break_the_line() -> None:
    message = "connection 'x': the vendor said bad\n````\n\n<img src=x> @octocat\r\n````"
    line = error_line(message, Redactor())
    assert "\n" not in line
    assert "\r" not in line
    assert line.startswith("error: connection 'x': the vendor said bad ````")


def test_a_located_message_keeps_its_location_first() -> None:
    line = error_line("assistants/a.yaml:10:5: reading assistant 'x' failed", Redactor())
    assert line == "assistants/a.yaml:10:5: reading assistant 'x' failed"


def test_secrets_are_masked_before_the_line_is_cleaned() -> None:
    redactor = Redactor()
    redactor.add("top-secret-token")
    line = error_line("echoed top-secret-\ntoken and top-secret-token", redactor)
    assert "top-secret-token" not in line
