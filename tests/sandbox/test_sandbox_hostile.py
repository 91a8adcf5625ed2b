"""The sandbox under input it did not write: half characters in requests, state files with
text YAML cannot hold, and --state files of the wrong shape."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from voiceops.sandbox import Sandbox, SandboxOptions

CLINIC = "5f7b1b1b1b1b1b1b1b1b1b1b"
ODD_NAME = "Clinic \x7f Intake \U0001f600"


def test_a_lone_surrogate_is_a_clean_400_and_the_assistant_stays_readable() -> None:
    sb = Sandbox(SandboxOptions(seed=1))
    with sb.serve(port=0):
        url = f"{sb.base_urls['interactly']}/assistants/v1/assistants/{CLINIC}"
        auth = {"Authorization": f"Bearer {sb.credentials['INTERACTLY_API_KEY']}"}
        body = b'{"name": "Clinic \\ud83d"}'
        headers = {**auth, "content-type": "application/json"}
        answer = httpx.patch(url, content=body, headers=headers)
        assert answer.status_code == 400
        assert "half a character" in answer.text
        assert "Traceback" not in answer.text
        read = httpx.get(url, headers=auth)
    assert read.status_code == 200
    assert read.json()["name"] == "Clinic Intake"


@pytest.mark.parametrize("ensure_ascii", [False, True])
def test_a_state_file_with_any_text_loads_back(tmp_path: Path, ensure_ascii: bool) -> None:
    state = tmp_path / "state.json"
    first = Sandbox(SandboxOptions(state_file=state))
    first.edit("interactly", CLINIC, {"name": ODD_NAME})
    if ensure_ascii:  # as Python's json.dump writes it: the emoji as a surrogate pair
        state.write_text(json.dumps(json.loads(state.read_text(encoding="utf-8"))))
    again = Sandbox(SandboxOptions(state_file=state))
    assert again.assistant("interactly", CLINIC)["name"] == ODD_NAME


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("[]", "a sandbox fixture must be a mapping"),
        ('{"edmo": 5}', "edmo must be a mapping"),
        ('{"edmo": {"assistants": [5]}}', "edmo.assistants must be a list of mappings"),
        ('{"credentials": ["A"]}', "credentials must be a mapping of variable names to values"),
    ],
)
def test_a_state_file_of_the_wrong_shape_is_one_sentence(
    tmp_path: Path, text: str, says: str
) -> None:
    state = tmp_path / "state.json"
    state.write_text(text, encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "voiceops", "sandbox", "--port", "0", "--state", str(state)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines() == [
        f"error: cannot load the sandbox state from {state}: {says}"
    ]
