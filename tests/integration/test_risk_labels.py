"""Risk labels on each change, and word-level diffs of long prose in markdown."""

from __future__ import annotations

import yaml

from tests.conftest import Workspace
from tests.integration.apply_helpers import plan_json, spec_of

NEW_PROMPT_LINE = "Find out their team size and current tooling, and offer a 45-minute demo."


def _prepare(workspace: Workspace) -> None:
    assert workspace.run("apply", "--auto-approve").exit_code == 0
    prompt = spec_of(workspace, "sales-outreach")["system_prompt"]
    lines = prompt.splitlines()
    lines[1] = NEW_PROMPT_LINE
    workspace.edit_spec("sales-outreach", system_prompt="\n".join(lines) + "\n", max_duration=600)


def _sales(workspace: Workspace) -> dict:
    planned = plan_json(workspace)
    return next(a for a in planned["assistants"] if a["name"] == "sales-outreach")


def test_changes_carry_the_labels_of_the_fields_they_touch(workspace: Workspace) -> None:
    _prepare(workspace)
    entry = _sales(workspace)
    labels = {c["path"]: c["labels"] for c in entry["changes"]}
    assert labels == {"system_prompt": ["prompt"], "max_duration": ["call-limits"]}
    assert sorted(entry["labels"]) == ["call-limits", "prompt"]

    text = workspace.run("plan").stdout
    assert "labels: prompt, call-limits" in text or "labels: call-limits, prompt" in text
    markdown = workspace.run("plan", "--format", "markdown").stdout
    assert "Changes by label: `call-limits` 1, `prompt` 1" in markdown
    # The prompt's changed words, not only its replaced line.
    assert "[-30-minute-] {+45-minute+}" in markdown


def test_review_labels_in_voiceops_yaml_add_and_replace(workspace: Workspace) -> None:
    _prepare(workspace)
    config = yaml.safe_load(workspace.config.read_text(encoding="utf-8"))
    config["review"] = {"labels": {"autocalls": {"max_duration": [], "timezone": ["tz"]}}}
    workspace.config.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    workspace.edit_spec("sales-outreach", timezone="Europe/Paris")
    labels = {c["path"]: c["labels"] for c in _sales(workspace)["changes"]}
    assert labels["max_duration"] == []
    assert labels["timezone"] == ["tz"]
    assert labels["system_prompt"] == ["prompt"]


def test_a_new_assistant_is_labelled_create(workspace: Workspace) -> None:
    document = yaml.safe_load(workspace.spec_file("sales-outreach").read_text(encoding="utf-8"))
    del document["id"]
    document["metadata"]["name"] = "sales-second"
    document["spec"].update(
        name="Sales Second",
        voice_id=1,
        language_id=1,
        mode="pipeline",
        llm_model_id=3,
    )
    path = workspace.spec_file("sales-outreach").with_name("sales-second.yaml")
    path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    entry = next(a for a in plan_json(workspace)["assistants"] if a["name"] == "sales-second")
    assert entry["status"] == "create"
    assert entry["labels"][0] == "create"
    assert "prompt" in entry["labels"]
    assert {c["origin"] for c in entry["changes"]} == {"git"}
