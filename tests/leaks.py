"""The forms a leaked secret would take in output, for the tests that scan for them.
Written here independently of `voiceops.reconcile.redaction`, so the scrubber is checked
against its spec."""

from __future__ import annotations

import json
from urllib.parse import quote, quote_plus


def encodings(secret: str) -> set[str]:
    """Raw, JSON-escaped (ASCII and not), URL-encoded (path and form) and repr."""
    return {
        secret,
        json.dumps(secret)[1:-1],
        json.dumps(secret, ensure_ascii=False)[1:-1],
        quote(secret, safe=""),
        quote(secret),
        quote_plus(secret),
        repr(secret)[1:-1],
    }
