"""`--sandbox` in an environment whose connections name other credential variables."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path


def voiceops(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VOICEOPS", "EDMO_"))}
    return subprocess.run(
        [sys.executable, "-m", "voiceops", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_renamed_credential_variables_get_the_sandboxs_values(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    assert voiceops("init", str(repo), cwd=tmp_path).returncode == 0
    config = repo / "voiceops.yaml"
    config.write_text(
        config.read_text(encoding="utf-8")
        + "\nenvironments:\n  staging:\n    providers:\n"
        + "      edmo-main: {email_env: EDMO_STAGING_EMAIL, password_env: EDMO_STAGING_PASSWORD}\n",
        encoding="utf-8",
    )
    for path in (repo / "assistants").glob("*.yaml"):
        text = path.read_text(encoding="utf-8")
        found = re.search(r"(?m)^id: (.*)\n", text)
        assert found is not None
        text = text.replace(found.group(0), "")
        path.write_text(text + f"environments:\n  staging: {{id: {found.group(1)}}}\n")
    planned = voiceops("plan", "--sandbox", "--env", "staging", cwd=repo)
    assert planned.returncode == 0, planned.stderr
    assert "enrollment-assistant (edmo-main" in planned.stdout
