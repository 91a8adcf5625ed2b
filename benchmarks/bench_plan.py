"""Benchmark: `voiceops plan` of 1,000 assistants, 250 per vendor, against a slow sandbox.

Every request to the sandbox is answered after a fixed latency. Interactly and Edmo are
read one GET per assistant; Invent and Autocalls by list pages (100 per page), once per
account. The script prints the wall time, the requests sent per vendor, and the ratio to
the concurrency lower bound:

    bound = requests sent * latency / concurrency

    python benchmarks/bench_plan.py [--per-vendor 250] [--latency-ms 50] [--concurrency 16]
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import os
import tempfile
import time
from collections import Counter
from pathlib import Path

import yaml

from voiceops.cli.plan import run_plan
from voiceops.plan import Status
from voiceops.runner import prepare
from voiceops.sandbox import Faults, Sandbox, SandboxOptions

TARGET_RATIO = 1.5
CONNECTIONS = {
    "interactly": ("interactly-prod", {"token_env": "INTERACTLY_API_KEY"}),
    "edmo": ("edmo-main", {"email_env": "EDMO_EMAIL", "password_env": "EDMO_PASSWORD"}),
    "invent": ("invent-support", {"org_id": "c", "token_env": "INVENT_API_KEY"}),
    "autocalls": ("autocalls-sales", {"token_env": "AUTOCALLS_TOKEN"}),
}
# The stored name field, and the spec's name for it, per vendor.
NAME_FIELD = {"interactly": "name", "edmo": "name", "invent": "name", "autocalls": "assistant_name"}


def populate(sandbox: Sandbox, per_vendor: int) -> dict[str, list[str]]:
    ids: dict[str, list[str]] = {}
    for vendor in CONNECTIONS:
        field = NAME_FIELD[vendor]
        ids[vendor] = [
            sandbox.add_assistant(vendor, {field: f"Bench {vendor} {i}"}) for i in range(per_vendor)
        ]
    return ids


def write_repository(root: Path, sandbox: Sandbox, ids: dict[str, list[str]]) -> Path:
    (root / "assistants").mkdir(parents=True)
    providers = {
        name: {"type": vendor, "base_url": sandbox.base_urls[vendor], **settings}
        for vendor, (name, settings) in CONNECTIONS.items()
    }
    config = {"assistants": "assistants/", "providers": providers}
    (root / "voiceops.yaml").write_text(yaml.safe_dump(config, sort_keys=False), "utf-8")
    for vendor, vendor_ids in ids.items():
        connection = CONNECTIONS[vendor][0]
        documents = [
            {
                "apiVersion": "voiceops/v1",
                "kind": "Assistant",
                "metadata": {"name": f"{vendor}-{i:04d}"},
                "provider": connection,
                "id": assistant_id,
                # Every other assistant is renamed, so the plan has work in it.
                "spec": {NAME_FIELD[vendor]: f"Bench {vendor} {i}{'' if i % 2 else ' v2'}"},
            }
            for i, assistant_id in enumerate(vendor_ids)
        ]
        text = yaml.safe_dump_all(documents, sort_keys=False)
        (root / "assistants" / f"{vendor}.yaml").write_text(text, "utf-8")
    return root / "voiceops.yaml"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--per-vendor", type=int, default=250)
    parser.add_argument("--latency-ms", type=float, default=50.0)
    parser.add_argument("--concurrency", type=int, default=16)
    args = parser.parse_args()

    sandbox = Sandbox(SandboxOptions(seed=0))
    with sandbox.serve(port=0), tempfile.TemporaryDirectory(prefix="voiceops-bench-") as tmp:
        ids = populate(sandbox, args.per_vendor)
        config = write_repository(Path(tmp), sandbox, ids)
        project, options = prepare(config, env={**os.environ, **sandbox.credentials})
        options = dataclasses.replace(options, concurrency=args.concurrency)
        sandbox.set_faults(Faults(latency_ms=args.latency_ms))
        sandbox.clear_requests()
        started = time.perf_counter()
        plan, _ = asyncio.run(run_plan(project, options))
        wall = time.perf_counter() - started
        per_vendor = Counter(r.vendor for r in sandbox.requests())

    sent = sum(per_vendor.values())
    bound = sent * args.latency_ms / 1000.0 / args.concurrency
    ratio = wall / bound if bound else float("inf")
    errors = len(plan.with_status(Status.ERROR))
    print(
        f"assistants        {len(plan.assistants)} ({args.per_vendor} per vendor, {errors} errors)"
    )
    print(f"to update         {len(plan.with_status(Status.UPDATE))}")
    print(f"latency           {args.latency_ms:.0f} ms per request")
    print(f"concurrency       {args.concurrency}")
    print("requests sent     " + ", ".join(f"{v} {n}" for v, n in sorted(per_vendor.items())))
    print(f"plan wall time    {wall:.2f} s")
    print(f"lower bound       {bound:.2f} s = {sent} x {args.latency_ms:g} ms / {args.concurrency}")
    print(f"ratio             {ratio:.2f} (target <= {TARGET_RATIO})")
    return 0 if not errors and ratio <= TARGET_RATIO else 1


if __name__ == "__main__":
    raise SystemExit(main())
