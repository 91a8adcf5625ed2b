"""Adding a vendor takes three new files and two registry lines, nothing else.

A copy of `src/voiceops` and `schemas/` gets a toy adapter, a toy vendor schema and a toy
stand-in (with its own seed), one line in each registry, and then runs the real commands
against it in subprocesses: validate, plan and apply on the embedded sandbox, and apply then
plan again on a served sandbox, where the applied change stays.
"""

from __future__ import annotations

import difflib
import filecmp
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
ADAPTER_LIST = Path("src/voiceops/live/providers/__init__.py")
STAND_IN_LIST = Path("src/voiceops/sandbox/standins.py")
NEW_FILES = {
    Path("src/voiceops/live/providers/toy.py"),
    Path("src/voiceops/sandbox/toy.py"),
    Path("schemas/toy.schema.json"),
}

ADAPTER = '''"""Toy: Bearer token, one GET and one PATCH per bot."""

from voiceops.live.providers.base import Provider, segment


class Toy(Provider):
    type = "toy"
    id_field = "id"
    name_field = "name"
    read_only = frozenset({("id",), ("updated",)})

    def read_path(self, assistant_id: str) -> str:
        return f"/bots/{segment(assistant_id)}"

    def update_target(self, assistant_id: str) -> tuple[str, str]:
        return "PATCH", self.read_path(assistant_id)
'''

STAND_IN = '''"""Toy stand-in: bots under /bots/{id}, a Bearer token per account."""

from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from voiceops.sandbox.vendor import BadJSON, Stamp, Vendor, bearer_token, json_object
from voiceops.sandbox.vendor import json_response


class Toy(Vendor):
    name = "toy"
    id_field = "id"
    created_field = "updated"
    updated_field = "updated"
    stamp = Stamp(3)
    connection = ("toy-main", {"token_env": "TOY_TOKEN"})

    @classmethod
    def seed(cls) -> dict[str, Any]:
        bot = {"id": "bot1", "account": "main", "name": "Toy", "greeting": "Hi"}
        tokens = {"sandbox-toy-token": "main"}
        return {"credentials": {"TOY_TOKEN": "sandbox-toy-token"},
                "toy": {"tokens": tokens, "assistants": [bot]}}

    def build_app(self):
        route = "/bots/{assistant_id}"
        return Starlette(routes=[Route(route, self.get, methods=["GET"]),
                                 Route(route, self.patch, methods=["PATCH"])])

    def error(self, status, message, headers=None) -> Response:
        return json_response({"error": message}, status, headers)

    def read(self, record):
        return {k: v for k, v in record.items() if k != "account"}

    def owner(self, record) -> str:
        return str(record["account"])

    def default_account(self) -> str:
        return "main"

    def new_record(self, record, account):
        full = {"name": "", "greeting": "", "account": account or "main", **record}
        full.setdefault("updated", self.stamp.now())
        return full

    def _bot(self, request: Request):
        account = self.state.accounts[self.name]["tokens"].get(bearer_token(request))
        bot = self.state.assistants[self.name].get(request.path_params["assistant_id"])
        return None if bot is None or self.owner(bot) != account else bot

    async def get(self, request: Request) -> Response:
        with self.state.lock:
            bot = self._bot(request)
            return self.error(404, "no such bot") if bot is None else json_response(self.read(bot))

    async def patch(self, request: Request) -> Response:
        try:
            body = await json_object(request)
        except BadJSON as exc:
            return self.error(400, str(exc))
        with self.state.lock:
            bot = self._bot(request)
            if bot is None:
                return self.error(404, "no such bot")
            bot.update({k: v for k, v in body.items() if k in ("name", "greeting")})
            self.touch(bot)
            self.state.changed()
            return json_response(self.read(bot))
'''

SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": "urn:voiceops:schema:toy",
    "x-voiceops-vendor": 5,
    "title": "Toy bot spec",
    "type": "object",
    "additionalProperties": False,
    "properties": {"name": {"type": "string"}, "greeting": {"type": "string"}},
    "$defs": {
        "id": {
            "type": "string",
            "pattern": "^[a-z0-9]{1,32}$",
            "x-voiceops-error": "a toy bot id is lower-case letters and digits, like bot1",
            "x-voiceops-id-form": "as-is",
        },
        "connection": {
            "type": "object",
            "additionalProperties": False,
            "required": ["type", "token_env"],
            "properties": {
                "type": {"const": "toy"},
                "base_url": {
                    "type": "string",
                    "format": "uri",
                    "pattern": "^https?://",
                    "default": "https://api.toy.example",
                },
                "token_env": {"type": "string", "pattern": "^[A-Za-z_][A-Za-z0-9_]*$"},
            },
        },
    },
}

DOCUMENT = """apiVersion: voiceops/v1
kind: Assistant
metadata: {name: toy-bot}
provider: toy-main
id: bot1
spec:
  name: Toy
  greeting: Hello from git
"""


def _add_line(path: Path, after: str, line: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.count(after) == 1
    path.write_text(text.replace(after, after + line), encoding="utf-8")


@pytest.fixture(scope="module")
def copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The project's code and schemas with the toy vendor added."""
    root = tmp_path_factory.mktemp("fifth-vendor")
    ignore = shutil.ignore_patterns("__pycache__")
    shutil.copytree(ROOT / "src" / "voiceops", root / "src" / "voiceops", ignore=ignore)
    shutil.copytree(ROOT / "schemas", root / "schemas", ignore=ignore)
    (root / "src/voiceops/live/providers/toy.py").write_text(ADAPTER, encoding="utf-8")
    (root / "src/voiceops/sandbox/toy.py").write_text(STAND_IN, encoding="utf-8")
    (root / "schemas/toy.schema.json").write_text(json.dumps(SCHEMA, indent=2), encoding="utf-8")
    _add_line(root / ADAPTER_LIST, '    "autocalls.Autocalls",\n', '    "toy.Toy",\n')
    _add_line(root / STAND_IN_LIST, '    "autocalls.Autocalls",\n', '    "toy.Toy",\n')
    return root


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    (tmp_path / "voiceops.yaml").write_text(
        "providers:\n  toy-main:\n    type: toy\n    token_env: TOY_TOKEN\n", encoding="utf-8"
    )
    (tmp_path / "assistants").mkdir()
    (tmp_path / "assistants" / "toy-bot.yaml").write_text(DOCUMENT, encoding="utf-8")
    return tmp_path


def _environment(copy: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "VOICEOPS_"))}
    return {**env, "PYTHONPATH": str(copy / "src"), "NO_COLOR": "1", **extra}


def voiceops(copy: Path, repo: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "voiceops", *args],
        cwd=repo,
        env=_environment(copy, **env),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _changed_files(copy: Path) -> tuple[set[Path], set[Path]]:
    """Files of the copy that differ from the project's, and files only the copy has."""
    differing: set[Path] = set()
    added: set[Path] = set()
    for top in ("src/voiceops", "schemas"):
        for path in (copy / top).rglob("*"):
            if "__pycache__" in path.parts or not path.is_file():
                continue
            relative = path.relative_to(copy)
            original = ROOT / relative
            if not original.exists():
                added.add(relative)
            elif not filecmp.cmp(path, original, shallow=False):
                differing.add(relative)
    return differing, added


def test_only_three_files_and_two_registry_lines_are_added(copy: Path) -> None:
    differing, added = _changed_files(copy)
    assert added == NEW_FILES
    assert differing == {ADAPTER_LIST, STAND_IN_LIST}
    for relative in differing:
        before = (ROOT / relative).read_text(encoding="utf-8").splitlines()
        after = (copy / relative).read_text(encoding="utf-8").splitlines()
        changes = [
            line
            for line in difflib.unified_diff(before, after, lineterm="", n=0)
            if line[:1] in "+-" and not line.startswith(("+++", "---"))
        ]
        assert changes == ['+    "toy.Toy",']


def test_the_copy_is_what_runs(copy: Path, repo: Path) -> None:
    code = "import voiceops; print(voiceops.__file__)"
    result = subprocess.run(
        [sys.executable, "-c", code], env=_environment(copy), capture_output=True, text=True
    )
    assert Path(result.stdout.strip()).is_relative_to(copy)


def test_validate_plan_and_apply_on_the_embedded_sandbox(copy: Path, repo: Path) -> None:
    validate = voiceops(copy, repo, "validate")
    assert validate.returncode == 0, validate.stderr
    plan = voiceops(copy, repo, "plan", "--sandbox", "--detailed-exitcode")
    assert plan.returncode == 2, plan.stderr
    assert "toy-bot" in plan.stdout
    assert 'greeting: "Hi" -> "Hello from git"' in plan.stdout
    apply = voiceops(copy, repo, "apply", "--sandbox", "--auto-approve")
    assert apply.returncode == 0, apply.stderr
    assert "Apply: 1 applied" in apply.stdout


@pytest.fixture
def served(copy: Path, repo: Path) -> Iterator[tuple[str, dict[str, str]]]:
    """`voiceops sandbox` of the copy: the toy's base URL and the credentials to export."""
    server = subprocess.Popen(
        [sys.executable, "-m", "voiceops", "sandbox", "--port", "0"],
        cwd=repo,
        env=_environment(copy),
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert server.stdout is not None
        banner = []
        for line in server.stdout:
            banner.append(line)
            if line.startswith("Serving until"):
                break
        text = "".join(banner)
        assert "autocalls and toy." in text.splitlines()[0]
        url = next(line.split(": ", 1)[1] for line in banner if "/toy" in line).strip()
        exports = dict(
            line.removeprefix("export ").strip().split("=", 1)
            for line in banner
            if line.startswith("export ")
        )
        yield url, exports
    finally:
        server.terminate()
        server.wait(timeout=60)


def test_an_applied_change_leaves_nothing_to_plan(
    copy: Path, repo: Path, served: tuple[str, dict[str, str]]
) -> None:
    url, exports = served
    config = repo / "voiceops.yaml"
    config.write_text(config.read_text() + f"    base_url: {url}\n", encoding="utf-8")
    first = voiceops(copy, repo, "plan", "--detailed-exitcode", **exports)
    assert first.returncode == 2, first.stderr
    apply = voiceops(copy, repo, "apply", "--auto-approve", **exports)
    assert apply.returncode == 0, apply.stderr
    assert "Apply: 1 applied" in apply.stdout
    second = voiceops(copy, repo, "plan", "--detailed-exitcode", **exports)
    assert second.returncode == 0, second.stdout + second.stderr
