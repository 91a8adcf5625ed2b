"""The benchmarks are scripts, not tests; this keeps them importable as the code moves."""

from __future__ import annotations

import importlib
import subprocess
import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


@pytest.mark.parametrize("name", sorted(p.stem for p in BENCHMARKS.glob("*.py")))
def test_benchmark_imports(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.syspath_prepend(str(BENCHMARKS))
    monkeypatch.delitem(sys.modules, name, raising=False)
    module = importlib.import_module(name)
    assert module.__file__ is not None


@pytest.mark.parametrize("script", ["bench_plan.py", "bench_apply.py"])
def test_end_to_end_benchmark_runs_on_a_tiny_fleet(script: str) -> None:
    # Figures are not checked (no wall-clock bounds in tests): only that the script still
    # drives the whole voiceops process against the sandbox and prints its ratio.
    argv = [sys.executable, script, "--per-vendor", "2", "--latency-ms", "0"]
    run = subprocess.run(argv, cwd=BENCHMARKS, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "ratio" in run.stdout


def test_scale_benchmark_runs_plan_against_the_bare_client_on_a_tiny_fleet() -> None:
    argv = [sys.executable, "bench_scale.py", "--sizes", "8", "--commands", "validate,plan"]
    argv += ["--repeat", "1"]
    run = subprocess.run(argv, cwd=BENCHMARKS, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "the bare client, median of 1" in run.stdout
    assert "'200': 7" in run.stdout  # the bare client's replay was answered, every request
