"""Benchmark: `apply --auto-approve` of many changed assistants against a slow vendor.

Puts N Interactly assistants into a sandbox that answers every request after a fixed
latency, writes a spec for each into a temporary repository (each changes one field), and
runs the apply through the Python API with the given concurrency. It prints the wall time,
the number of requests sent, and how that time compares with the concurrency bound:

    bound = (requests sent / concurrency) * latency

A ratio near 1 means the requests kept every concurrency slot busy; the target is <= 1.5.

    python benchmarks/bench_apply.py [--assistants 1000] [--latency-ms 50] [--concurrency 16]
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import dataclasses
import os
import pstats
import sys
import tempfile
import time
from pathlib import Path

import yaml

from voiceops.apply import Outcome
from voiceops.cli.apply import run_apply
from voiceops.runner import prepare
from voiceops.sandbox import Faults, Sandbox, SandboxOptions

REPO = Path(__file__).resolve().parents[1]
TARGET_RATIO = 1.5


def write_repository(root: Path, sandbox: Sandbox, ids: list[str]) -> Path:
    (root / "assistants").mkdir(parents=True)
    config = {
        "assistants": "assistants/",
        "providers": {
            "interactly-prod": {
                "type": "interactly",
                "base_url": sandbox.base_urls["interactly"],
                "token_env": "INTERACTLY_API_KEY",
            }
        },
        # Every assistant changes on purpose; the safety threshold is not what is measured.
        "safety": {"max_update_share": 1.0},
    }
    (root / "voiceops.yaml").write_text(yaml.safe_dump(config, sort_keys=False), "utf-8")
    documents = [
        {
            "apiVersion": "voiceops/v1",
            "kind": "Assistant",
            "metadata": {"name": f"bench-{i:05d}"},
            "provider": "interactly-prod",
            "id": assistant_id,
            "spec": {"name": f"Bench {i}", "assistantTemperature": 0.7, "idleTimeout": 45},
        }
        for i, assistant_id in enumerate(ids)
    ]
    text = yaml.safe_dump_all(documents, sort_keys=False)
    (root / "assistants" / "bench.yaml").write_text(text, "utf-8")
    return root / "voiceops.yaml"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--assistants", type=int, default=1000)
    parser.add_argument("--latency-ms", type=float, default=50.0)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--profile", action="store_true", help="print the top of a cProfile")
    args = parser.parse_args()

    sandbox = Sandbox(SandboxOptions(seed=0))
    with sandbox.serve(port=0), tempfile.TemporaryDirectory(prefix="voiceops-bench-") as tmp:
        ids = [
            sandbox.add_assistant(
                "interactly",
                {"_id": f"{i:024x}", "name": f"Bench {i}", "assistantTemperature": 0.1},
            )
            for i in range(args.assistants)
        ]
        config = write_repository(Path(tmp), sandbox, ids)
        started = time.perf_counter()
        project, options = prepare(config, env={**os.environ, **sandbox.credentials})
        options = dataclasses.replace(options, concurrency=args.concurrency)
        prepared = time.perf_counter() - started

        sandbox.set_faults(Faults(latency_ms=args.latency_ms))
        sandbox.clear_requests()
        profiler = cProfile.Profile() if args.profile else None
        quiet = open(os.devnull, "w")  # noqa: SIM115 - the rendered plan is not measured
        stdout, sys.stdout = sys.stdout, quiet
        try:
            started = time.perf_counter()
            if profiler:
                profiler.enable()
            report = asyncio.run(
                run_apply(
                    project,
                    options,
                    planfile=None,
                    auto_approve=True,
                    allow_mass_update=True,
                    targets=(),
                )
            )
            if profiler:
                profiler.disable()
            wall = time.perf_counter() - started
        finally:
            sys.stdout = stdout
            quiet.close()
        sent = len(sandbox.requests())

    assert report is not None
    applied = report.count(Outcome.APPLIED)
    bound = sent / args.concurrency * args.latency_ms / 1000.0
    ratio = wall / bound if bound else float("inf")
    print(f"assistants        {args.assistants} ({applied} applied, ok={report.ok})")
    print(f"latency           {args.latency_ms:.0f} ms per request")
    print(f"concurrency       {args.concurrency}")
    print(f"load and validate {prepared:.2f} s (not measured)")
    print(f"apply wall time   {wall:.2f} s")
    print(f"requests sent     {sent}")
    print(f"concurrency bound {bound:.2f} s = {sent} / {args.concurrency} x {args.latency_ms:g} ms")
    print(f"ratio             {ratio:.2f} (target <= {TARGET_RATIO})")
    if profiler:
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(30)
    return 0 if report.ok and ratio <= TARGET_RATIO else 1


if __name__ == "__main__":
    raise SystemExit(main())
