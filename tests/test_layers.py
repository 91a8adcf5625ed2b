"""Imports point down the stages only: cli(5) → render(4) → reconcile(3) → live(2) →
spec(1) → the root modules (errors, exitcodes, textsafety, paths, voiceops itself: 0).

Every import counts, including those inside functions and under TYPE_CHECKING. The sandbox
(vendor stand-ins) imports nothing from voiceops but errors; any stage may start it.
`__main__` is the program's entry: it runs the CLI, and nothing imports it.
"""

from __future__ import annotations

import ast
import subprocess
import sys
import textwrap
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "src" / "voiceops"
LAYERS = {"cli": 5, "render": 4, "reconcile": 3, "live": 2, "spec": 1}
ROOT = 0
SANDBOX = "voiceops.sandbox"
SANDBOX_MAY_IMPORT = ("voiceops.errors", SANDBOX)
ENTRY = "voiceops.__main__"

Import = tuple[int, str, str]  # line, imported module, the statement


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def layer(module: str) -> int:
    parts = module.split(".")
    return LAYERS.get(parts[1], ROOT) if len(parts) > 1 else ROOT


def _is_sandbox(module: str) -> bool:
    return module == SANDBOX or module.startswith(SANDBOX + ".")


def imports_in(source: str, module: str, *, is_package: bool) -> list[Import]:
    """Every import of a voiceops module in `source`, the text of module `module`."""
    package = module.split(".") if is_package else module.split(".")[:-1]
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package[: len(package) - node.level + 1]
                base = ".".join([*parent, base] if base else parent)
            # `from voiceops import paths` (or `from . import x`) may name a module.
            names = [f"{base}.{alias.name}" for alias in node.names]
            names = [name if _is_module(name) else base for name in names]
        else:
            continue
        statement = " ".join((ast.get_source_segment(source, node) or "").split())
        for name in dict.fromkeys(names):
            if name == "voiceops" or name.startswith("voiceops."):
                found.append((node.lineno, name, statement))
    return found


def _is_module(name: str) -> bool:
    relative = Path(*name.split(".")[1:])
    return (PACKAGE / relative).with_suffix(".py").is_file() or (PACKAGE / relative).is_dir()


def points_up(importer: str, imported: str) -> bool:
    if importer == ENTRY:
        return False
    if _is_sandbox(importer):
        return not imported.startswith(SANDBOX_MAY_IMPORT)
    if _is_sandbox(imported):
        return layer(importer) == ROOT
    return layer(imported) > layer(importer)


def violations() -> list[str]:
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        importer = module_name(path)
        source = path.read_text(encoding="utf-8")
        for line, imported, statement in imports_in(
            source, importer, is_package=path.name == "__init__.py"
        ):
            if points_up(importer, imported):
                found.append(f"{path.relative_to(PACKAGE.parent.parent)}:{line}: {statement}")
    return found


def test_the_layer_table() -> None:
    assert layer("voiceops") == layer("voiceops.errors") == layer("voiceops.paths") == ROOT
    assert layer("voiceops.textsafety") == layer("voiceops.__main__") == ROOT
    assert layer("voiceops.live.providers.base") == LAYERS["live"]
    assert points_up("voiceops.live.httpclient", "voiceops.reconcile.redaction")
    assert points_up("voiceops.paths", "voiceops.spec.schemas")
    assert not points_up("voiceops.reconcile.redaction", "voiceops.live.httpclient")
    assert not points_up("voiceops.cli", "voiceops.cli.apply")
    assert points_up("voiceops.sandbox.app", "voiceops.spec.schemas")
    assert points_up("voiceops.sandbox.app", "voiceops.textsafety")
    assert not points_up("voiceops.sandbox.app", "voiceops.errors")
    assert not points_up("voiceops.reconcile.runner", "voiceops.sandbox")
    assert not points_up("voiceops.__main__", "voiceops.cli")


def test_every_kind_of_import_is_seen() -> None:
    source = textwrap.dedent(
        """
        from typing import TYPE_CHECKING
        import json
        from voiceops import paths
        if TYPE_CHECKING:
            from voiceops.reconcile.plan import Plan
        def f():
            import voiceops.cli.common
            from ..render import text
            from . import httpclient
            from .providers.base import Provider
        """
    )
    found = imports_in(source, "voiceops.live.example", is_package=False)
    assert [(line, name) for line, name, _ in found] == [
        (4, "voiceops.paths"),
        (6, "voiceops.reconcile.plan"),
        (8, "voiceops.cli.common"),
        (9, "voiceops.render.text"),
        (10, "voiceops.live.httpclient"),
        (11, "voiceops.live.providers.base"),
    ]
    assert found[1][2] == "from voiceops.reconcile.plan import Plan"


def test_imports_point_down_the_layers() -> None:
    found = violations()
    assert found == [], "imports that point up a layer:\n" + "\n".join(found)


def test_validation_does_not_load_httpx() -> None:
    code = "import sys, voiceops.spec.validation; print('httpx' in sys.modules)"
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert run.stdout.strip() == "False"
