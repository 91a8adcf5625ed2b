"""Property: whatever a secret looks like, and however a vendor quotes it, no output format
shows it in any encoding.

Random secrets (quotes, backslashes, `%`, `+`, `/`, non-ASCII, short ones) are planted in
everything a vendor controls — error messages, live values, multi-line text, apply details,
import notes — in every encoding; the result is rendered the way the commands render it
(text, markdown, JSON, the apply report, the import summary, each also under GitHub
Actions) and scanned for every encoding of every secret.
"""

from __future__ import annotations

import os
from pathlib import Path
from unittest import mock

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from tests.leaks import encodings
from voiceops.cli.common import safe_output
from voiceops.reconcile.apply import ApplyReport, AssistantResult, Outcome
from voiceops.reconcile.changes import Change
from voiceops.reconcile.importer import ImportedAssistant
from voiceops.reconcile.plan import AssistantPlan, Plan, dump
from voiceops.reconcile.redaction import SHORT, Redactor, scrub_plan
from voiceops.render import apply_report, import_report, markdown, text
from voiceops.render.values import DRIFT, PLAN

SPECIAL = [*list("\"'\\%+/=&?#@<>`|:;,. -_~"), "ä", "ö", "ß", "é", "€", "中", "😀", "\xa0"]
secret_text = st.text(
    alphabet=st.one_of(st.sampled_from(SPECIAL), st.characters(codec="utf-8")),
    min_size=1,
    max_size=14,
)


def quoted_everywhere(secret: str) -> str:
    """A vendor message that quotes the secret in each of its encodings."""
    forms = sorted(encodings(secret))
    return "the vendor said: " + " | ".join(f'"{form}"' for form in forms)


def leaks(output: str, secret: str) -> list[str]:
    """Encodings of `secret` left in `output`. A secret shorter than SHORT is masked where it
    stands on its own (not inside a longer word), so only such occurrences count."""
    found = []
    for form in encodings(secret):
        start = output.find(form)
        while start >= 0:
            end = start + len(form)
            inside_word = (form[0].isalnum() and start > 0 and output[start - 1].isalnum()) or (
                form[-1].isalnum() and end < len(output) and output[end].isalnum()
            )
            if len(form) >= SHORT or not inside_word:
                found.append(form)
                break
            start = output.find(form, start + 1)
    return found


def sample_plan(secrets: list[str]) -> Plan:
    messages = " ; ".join(quoted_everywhere(s) for s in secrets)
    long_before = "\n".join(f"line {n}: {quoted_everywhere(s)}" for n, s in enumerate(secrets))
    changes = [
        Change(("welcomeMessage",), f"live {messages}", "Hello"),
        Change(("assistantSystemPrompt",), long_before, "Be brief.\nBe kind."),
        Change(("hints",), [*secrets, {"k": secrets[0]}], ["Riverside"]),
    ]
    common = {"connection": "interactly-prod", "provider_type": "interactly"}
    changed = AssistantPlan(
        name="clinic-intake",
        id="5f7b1b1b1b1b1b1b1b1b1b1b",
        source="assistants/clinic-intake.yaml:5:9",
        changes=changes,
        **common,
    )
    failed = AssistantPlan(
        name="after-hours",
        id="6a1c2e3f4b5d6e7f8a9b0c1d",
        source="assistants/after-hours.yaml:5:9",
        error=f"GET /assistants answered 400: {messages}",
        **common,
    )
    return Plan([changed, failed], managed=2, warnings=[f"note: {messages}"])


def rendered(secrets: list[str], redactor: Redactor) -> dict[str, str]:
    """Every output format, as the commands print them."""
    outputs: dict[str, str] = {}
    for framing in (PLAN, DRIFT):
        plan = scrub_plan(sample_plan(secrets), redactor)
        outputs[f"{framing.title} text"] = text.render(plan, framing)
        outputs[f"{framing.title} markdown"] = markdown.render(plan, framing)
        outputs[f"{framing.title} json"] = dump(plan)
    message = " ; ".join(quoted_everywhere(s) for s in secrets)
    report = ApplyReport(
        [
            AssistantResult("clinic-intake", "interactly-prod", "x", Outcome.FAILED, message),
            AssistantResult("enrollment", "edmo-main", "asst_1", Outcome.STALE, message),
        ]
    )
    outputs["apply report"] = apply_report.render(report.scrubbed(redactor))
    imported = ImportedAssistant(
        "sales", f"id-{secrets[0]}", Path("assistants") / "sales.yaml", False,
        note=message, dropped=[message],
    )  # fmt: skip
    outputs["import"] = import_report.render([imported.scrubbed(redactor)], [])
    return outputs


# VOICEOPS_PROPERTY_EXAMPLES=3000 runs a longer search (3,000 examples pass).
@settings(
    max_examples=int(os.environ.get("VOICEOPS_PROPERTY_EXAMPLES", "150")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(st.lists(secret_text, min_size=1, max_size=4, unique=True))
def test_no_encoding_of_any_secret_appears_in_any_output(secrets: list[str]) -> None:
    # The mask is `***`; a secret made of mask characters cannot be told apart from it.
    assume(all("*" not in s and s.strip() == s for s in secrets))
    redactor = Redactor()
    redactor.add(*secrets)
    outputs = rendered(secrets, redactor)
    for actions in ("", "true"):
        with mock.patch.dict(os.environ, {"GITHUB_ACTIONS": actions}):
            for name, output in outputs.items():
                printed = safe_output(output, redactor)
                for secret in secrets:
                    assert not leaks(printed, secret), (name, secret, printed)
