"""The code base stays lint-clean, formatted and type-checked, so `pytest` alone tells a
change is ready; and what a newcomer installs is what the README, the docs and the workflows say."""

from __future__ import annotations

import ast
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
DISTRIBUTION = "voiceops-gitops"


@pytest.mark.parametrize("command", [["check", "."], ["format", "--check", "."]])
def test_ruff(command: list[str]) -> None:
    ruff = shutil.which("ruff", path=str(BIN)) or shutil.which("ruff")
    assert ruff, "ruff is a test dependency: pip install -e '.[test]'"
    result = subprocess.run([ruff, *command], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_strict_passes_on_src() -> None:
    # The settings (strict, on src/) live in pyproject.toml's [tool.mypy].
    mypy = shutil.which("mypy", path=str(BIN)) or shutil.which("mypy")
    assert mypy, "mypy is a test dependency: pip install -e '.[test]'"
    result = subprocess.run([mypy], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def test_the_distribution_has_a_free_name_and_keeps_the_command() -> None:
    project = pyproject()["project"]
    # `voiceops` on PyPI is an unrelated project with its own `voiceops` command.
    assert project["name"] == DISTRIBUTION
    assert project["scripts"] == {"voiceops": "voiceops.cli:main"}


def test_dependencies_pin_only_lower_bounds() -> None:
    project = pyproject()["project"]
    extras = [r for extra in project["optional-dependencies"].values() for r in extra]
    for requirement in project["dependencies"] + extras:
        assert re.fullmatch(r"[A-Za-z0-9_.\-]+(\[[a-z,]+\])?>=[0-9.]+", requirement), requirement


def install_lines() -> list[tuple[str, str]]:
    found = []
    documents = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
    for path in [*documents, *sorted((ROOT / ".github" / "workflows").glob("*.yml"))]:
        for line in path.read_text(encoding="utf-8").splitlines():
            if "pip install" in line:
                found.append((path.name, line))
    return found


def test_no_install_line_installs_the_unrelated_voiceops() -> None:
    lines = install_lines()
    assert lines
    for name, line in lines:
        assert not re.search(r"pip install (-\S+ )*['\"]?voiceops\b(?!-gitops)", line), (name, line)


def test_user_workflows_install_the_exact_version_of_this_checkout() -> None:
    from voiceops import __version__

    for name in ("plan.yml", "apply.yml", "drift.yml"):
        text = (ROOT / ".github" / "workflows" / name).read_text(encoding="utf-8")
        installs = re.findall(r"run: (?:pip|pipx) install .*", text)
        assert installs, name
        for line in installs:
            assert f"'{DISTRIBUTION}=={__version__}'" in line, (name, line)


def test_the_version_has_one_source() -> None:
    project = pyproject()
    assert "version" not in project["project"]
    assert project["project"]["dynamic"] == ["version"]
    assert project["tool"]["hatch"]["version"]["path"] == "src/voiceops/__init__.py"


def test_ci_tests_a_fresh_virtualenv() -> None:
    script = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "python3 -m venv" in script
    assert "--upgrade-strategy eager" in script
    # The README's test command, run inside that virtualenv.
    assert script.index("activate") < script.index("pip install") < script.rindex("pytest")


def test_no_function_in_src_is_longer_than_about_40_lines() -> None:
    # Counted from its first decorator to its last line, docstring included.
    longest = []
    for path in sorted((ROOT / "src").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
                length = (node.end_lineno or node.lineno) - first + 1
                if length > 40:
                    longest.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.name}: {length}")
    assert longest == []
