"""Commands that send nothing do not load what only sending or explaining needs.

Each case runs the real command in a fresh interpreter and reads back `sys.modules`:
nothing here measures time.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
# httpx only for requests, python-jsonschema only to explain a document the fast validator
# rejected.
HEAVY = ("httpx", "jsonschema")
RUN = """
import json, sys
from voiceops.cli import main
sys.argv = ["voiceops", *sys.argv[1:]]
try:
    main()
except SystemExit as exc:
    code = exc.code
else:
    code = 0
print(json.dumps({"code": code, "modules": sorted(sys.modules)}))
"""


def loaded_by(cwd: Path, *args: str) -> tuple[int, set[str]]:
    result = subprocess.run(
        [sys.executable, "-c", RUN, *args], cwd=cwd, capture_output=True, text=True, check=False
    )
    report = json.loads(result.stdout.strip().splitlines()[-1])
    return report["code"], set(report["modules"])


@pytest.fixture
def repository(tmp_path: Path) -> Path:
    shutil.copytree(REPO / "assistants", tmp_path / "assistants")
    shutil.copytree(REPO / "schemas", tmp_path / "schemas")
    shutil.copy(REPO / "voiceops.yaml", tmp_path / "voiceops.yaml")
    return tmp_path


@pytest.mark.parametrize("args", [["--help"], ["validate"]], ids=["help", "validate"])
def test_help_and_a_clean_validate_skip_heavy_modules(repository: Path, args: list[str]) -> None:
    code, modules = loaded_by(repository, *args)

    assert code == 0
    assert [m for m in HEAVY if m in modules] == []


def test_a_failing_validate_still_explains(repository: Path) -> None:
    spec = next((repository / "assistants").rglob("*.yaml"))
    spec.write_text(spec.read_text(encoding="utf-8") + "\nunexpected_key: 1\n", encoding="utf-8")

    code, modules = loaded_by(repository, "validate")

    assert code == 1
    assert "jsonschema" in modules
