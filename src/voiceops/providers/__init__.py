"""The vendor adapters. Adding a vendor adds one module and one line to `ADAPTERS`."""

from __future__ import annotations

from voiceops.providers.autocalls import Autocalls
from voiceops.providers.base import Provider
from voiceops.providers.edmo import Edmo
from voiceops.providers.interactly import Interactly
from voiceops.providers.invent import Invent

ADAPTERS: dict[str, type[Provider]] = {
    adapter.type: adapter for adapter in (Interactly, Edmo, Invent, Autocalls)
}
PROVIDER_TYPES: tuple[str, ...] = tuple(ADAPTERS)
