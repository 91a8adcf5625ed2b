from __future__ import annotations

from voiceops.spec import envref


def test_references_are_replaced_and_double_dollar_is_literal() -> None:
    env = {"TOKEN": "abc", "HOST": "example.com"}
    assert envref.resolve("Bearer ${env:TOKEN}", env) == "Bearer abc"
    assert envref.resolve("$${env:TOKEN} stays", env) == "${env:TOKEN} stays"
    assert envref.resolve({"a": ["https://${env:HOST}/x"]}, env) == {"a": ["https://example.com/x"]}


def test_malformed_references_are_named() -> None:
    assert envref.malformed_reference("${env:1BAD}")
    assert envref.malformed_reference("${ENV:X}")
    assert envref.malformed_reference("${env:OPEN")
    assert envref.malformed_reference("fine ${env:OK} and $${literal}") is None
