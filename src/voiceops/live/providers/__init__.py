"""The vendor adapters. Adding a vendor adds one module and one line to `ADAPTERS`."""

from __future__ import annotations

from voiceops.live.providers.autocalls import Autocalls
from voiceops.live.providers.base import Provider
from voiceops.live.providers.edmo import Edmo
from voiceops.live.providers.interactly import Interactly
from voiceops.live.providers.invent import Invent

ADAPTERS: dict[str, type[Provider]] = {
    adapter.type: adapter for adapter in (Interactly, Edmo, Invent, Autocalls)
}
PROVIDER_TYPES: tuple[str, ...] = tuple(ADAPTERS)
