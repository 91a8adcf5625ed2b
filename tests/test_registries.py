"""The adapter and stand-in registries, what each entry must declare, and the vendor
facts the schemas hold for both sides."""

from __future__ import annotations

import json
from typing import Any

import pytest

from voiceops.live.providers import ADAPTERS, PROVIDER_TYPES, Provider
from voiceops.sandbox.standins import STAND_INS, VENDORS
from voiceops.sandbox.vendor import Stamp, Vendor
from voiceops.spec import vendors
from voiceops.spec.schemas import SchemaStore


def _adapter(**attributes: Any) -> type:
    declared = {"type": "toy", "id_field": "id", "name_field": "name"}
    declared["update_target"] = lambda self, assistant_id: ("PATCH", f"/a/{assistant_id}")
    return type("ToyAdapter", (Provider,), {**declared, **attributes})


def _stand_in(**attributes: Any) -> type:
    declared = {
        "name": "toy",
        "id_field": "id",
        "created_field": "created",
        "updated_field": "updated",
        "stamp": Stamp(3),
        "connection": ("toy-main", {"token_env": "TOY_TOKEN"}),
    }
    return type("ToyStandIn", (Vendor,), {**declared, **attributes})


def test_a_complete_adapter_is_accepted() -> None:
    assert _adapter().type == "toy"


@pytest.mark.parametrize("attribute", Provider.REQUIRED)
def test_an_adapter_missing_a_declaration_is_refused_at_class_creation(attribute: str) -> None:
    adapter = _adapter()
    attributes = {k: v for k, v in vars(adapter).items() if not k.startswith("__")}
    del attributes[attribute]
    with pytest.raises(TypeError, match=f"^ToyAdapter must declare {attribute}$"):
        type("ToyAdapter", (Provider,), attributes)


def test_an_adapter_inherits_declarations_from_its_parent() -> None:
    child = type("ChildAdapter", (_adapter(),), {})
    assert child.id_field == "id"


def test_a_complete_stand_in_is_accepted() -> None:
    assert _stand_in().name == "toy"


@pytest.mark.parametrize("attribute", Vendor.REQUIRED)
def test_a_stand_in_missing_a_declaration_is_refused_at_class_creation(attribute: str) -> None:
    stand_in = _stand_in()
    attributes = {k: v for k, v in vars(stand_in).items() if not k.startswith("__")}
    del attributes[attribute]
    with pytest.raises(TypeError, match=f"^ToyStandIn must declare {attribute}$"):
        type("ToyStandIn", (Vendor,), attributes)


def test_every_adapter_has_a_vendor_schema_and_a_stand_in() -> None:
    assert vendors.vendor_types(SchemaStore()) == PROVIDER_TYPES
    assert VENDORS == PROVIDER_TYPES
    assert [a.type for a in ADAPTERS.values()] == [s.name for s in STAND_INS]


@pytest.mark.parametrize("vendor", PROVIDER_TYPES)
def test_each_vendor_schema_states_its_facts(vendor: str) -> None:
    schemas = SchemaStore()
    assert vendors.default_base_url(schemas, vendor).startswith("https://")
    assert vendors.credential_settings(schemas, vendor)
    form = schemas.document(vendor)["$defs"]["id"][vendors.ID_FORM]
    assert form in vendors.ID_FORMS


@pytest.mark.parametrize(
    ("vendor", "given", "canonical"),
    [
        ("interactly", "5F7B1B1B1B1B1B1B1B1B1B1B", "5f7b1b1b1b1b1b1b1b1b1b1b"),
        ("edmo", "0A1B2C3D-0000-4000-8000-00000000000A", "0a1b2c3d-0000-4000-8000-00000000000a"),
        ("edmo", "ASST_123", "ASST_123"),
        ("invent", "Asst_Support", "Asst_Support"),
        ("autocalls", "000127", "127"),
    ],
)
def test_ids_take_their_canonical_form(vendor: str, given: str, canonical: str) -> None:
    assert vendors.normalize_id(SchemaStore(), vendor, given) == canonical


def test_the_config_schema_names_no_vendor() -> None:
    text = json.dumps(SchemaStore().document("voiceops-config"))
    assert not any(f'"{vendor}"' in text for vendor in PROVIDER_TYPES)
