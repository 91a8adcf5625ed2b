"""The stand-ins the sandbox serves. Adding a vendor adds one module and one line here."""

from __future__ import annotations

import importlib

from voiceops.sandbox.vendor import Vendor

# One line per vendor: "<module in this package>.<stand-in class>", in the order shown.
STAND_IN_CLASSES = (
    "interactly.Interactly",
    "edmo.Edmo",
    "invent.Invent",
    "autocalls.Autocalls",
)


def _stand_in(entry: str) -> type[Vendor]:
    module, _, name = entry.rpartition(".")
    stand_in: type[Vendor] = getattr(importlib.import_module(f"voiceops.sandbox.{module}"), name)
    return stand_in


STAND_INS: tuple[type[Vendor], ...] = tuple(map(_stand_in, STAND_IN_CLASSES))
VENDORS: tuple[str, ...] = tuple(s.name for s in STAND_INS)
