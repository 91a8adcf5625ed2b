"""Shared set-up for the end-to-end benchmarks: a sandbox full of assistants, a repository
of specs that change every one of them, the `voiceops` command timed as a whole process,
and the fair bound every benchmark prints.

Why the sandbox runs in a thread of the benchmark's own process, not as a third process:
the benchmark's main thread does nothing while `voiceops` runs but sleep in `os.wait4`,
so the sandbox's thread has this process's interpreter to itself, and the `voiceops`
process (the thing measured) runs as it does for a user, in an interpreter of its own.
On a 2-core machine that is the same split as `voiceops sandbox` in a separate process
(one core for the client, one for the stand-ins), with one process fewer competing for
the cores, and it lets the benchmark read the sandbox's request log and reset its state
directly instead of over HTTP.

The fair bound, printed by every benchmark:

    fair bound = (voiceops validate of the same repository, timed as a whole process)
                 + fewest requests x latency / concurrency

"Fewest requests" comes from the vendors' documented read and write shapes (see
`fewest_requests`), not from what voiceops sent; both are printed per vendor.
"""

from __future__ import annotations

import argparse
import math
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from voiceops.sandbox import Sandbox, SandboxOptions
from voiceops.sandbox.standins import STAND_INS
from voiceops.sandbox.state import default_fixture

# vendor -> (voiceops.yaml connection name, settings besides type and base_url)
CONNECTIONS: dict[str, tuple[str, dict[str, str]]] = {s.name: s.connection for s in STAND_INS}
VENDORS = tuple(CONNECTIONS)
PAGE_SIZE = 100  # the largest page both list endpoints document (Invent take, Autocalls per_page)
LIST_READ = frozenset({"invent", "autocalls"})  # read by list pages, once per account
LOGIN = frozenset({"edmo"})  # one POST /auth/login per run
DOCS_PER_FILE = 100
AUTOCALLS_FIRST_ID = 100_000


# -- the repository and the live state -----------------------------------------------


@dataclass(frozen=True)
class Fleet:
    """`per_vendor` assistants on each vendor, each live value differing from its spec."""

    per_vendor: int
    secrets: bool = False  # each Interactly spec carries its own ${env:...} webhook secret

    @property
    def total(self) -> int:
        return self.per_vendor * len(VENDORS)

    def secret_env(self) -> dict[str, str]:
        if not self.secrets:
            return {}
        return {secret_name(i): f"whsec_{i:06d}_{'x' * 24}" for i in range(self.per_vendor)}


def secret_name(i: int) -> str:
    return f"BENCH_WEBHOOK_SECRET_{i:06d}"


def assistant_id(vendor: str, i: int) -> str | int:
    if vendor == "interactly":
        return f"{i:024x}"
    if vendor == "autocalls":
        return AUTOCALLS_FIRST_ID + i
    return f"asst_bench_{i:06d}"


def live_record(vendor: str, i: int) -> dict[str, Any]:
    """The stored record the sandbox starts with."""
    key = assistant_id(vendor, i)
    if vendor == "interactly":
        return {"_id": key, "name": f"Bench {i}", "assistantTemperature": 0.1, "idleTimeout": 30}
    if vendor == "edmo":
        return {
            "id": key,
            "name": f"Bench {i}",
            "firstMessage": "Hello.",
            "model": {"provider": "openai", "model": "gpt-4o", "temperature": 0.2},
        }
    if vendor == "invent":
        return {
            "id": key,
            "name": f"Bench {i}",
            "enabled": True,
            "config": {"language": "auto", "model": "gpt-4o-mini"},
        }
    return {"id": key, "name": f"Bench {i}", "max_duration": 300}


def spec(vendor: str, i: int, secrets: bool) -> dict[str, Any]:
    """The desired state: every assistant differs from its live record."""
    if vendor == "interactly":
        body: dict[str, Any] = {
            "name": f"Bench {i}",
            "assistantTemperature": 0.7,
            "idleTimeout": 45,
        }
        if secrets:
            body["assistantServer"] = {
                "url": f"https://hooks.example.com/voice/{i}",
                "secret": f"${{env:{secret_name(i)}}}",
                "enabled": True,
                "timeoutSeconds": 20,
            }
        return body
    if vendor == "edmo":
        return {
            "name": f"Bench {i}",
            "firstMessage": "Hello, how can I help?",
            "model": {"provider": "openai", "model": "gpt-4o", "temperature": 0.7},
        }
    if vendor == "invent":
        return {
            "name": f"Bench {i}",
            "enabled": True,
            "config": {"language": "auto", "model": "gpt-4o"},
        }
    return {"name": f"Bench {i}", "max_duration": 600}


def fixture(fleet: Fleet) -> dict[str, Any]:
    """The default sandbox accounts and credentials, with the fleet as its only assistants
    (the sandbox's example assistants would add list pages and skew the counts)."""
    data = default_fixture(s.seed() for s in STAND_INS)
    for vendor in VENDORS:
        section = data.setdefault(vendor, {})
        section["assistants"] = [live_record(vendor, i) for i in range(fleet.per_vendor)]
    return data


def write_repository(root: Path, base_urls: dict[str, str], fleet: Fleet) -> None:
    (root / "assistants").mkdir(parents=True)
    providers = {
        name: {"type": vendor, "base_url": base_urls[vendor], **settings}
        for vendor, (name, settings) in CONNECTIONS.items()
    }
    config = {
        "assistants": "assistants/",
        "providers": providers,
        # Every assistant changes on purpose; the safety threshold is not what is measured.
        "safety": {"max_update_share": 1.0},
    }
    (root / "voiceops.yaml").write_text(yaml.safe_dump(config, sort_keys=False), "utf-8")
    for vendor in VENDORS:
        connection = CONNECTIONS[vendor][0]
        for start in range(0, fleet.per_vendor, DOCS_PER_FILE):
            documents = [
                {
                    "apiVersion": "voiceops/v1",
                    "kind": "Assistant",
                    "metadata": {"name": f"{vendor}-{i:06d}"},
                    "provider": connection,
                    "id": assistant_id(vendor, i),
                    "spec": spec(vendor, i, fleet.secrets),
                }
                for i in range(start, min(fleet.per_vendor, start + DOCS_PER_FILE))
            ]
            text = yaml.safe_dump_all(documents, sort_keys=False)
            path = root / "assistants" / f"{vendor}-{start // DOCS_PER_FILE:04d}.yaml"
            path.write_text(text, "utf-8")


@dataclass
class Bench:
    """A serving sandbox, the repository that describes it, and the environment to run in."""

    sandbox: Sandbox
    root: Path
    env: dict[str, str]
    fleet: Fleet

    def reset(self) -> None:
        """Back to the starting state: live records, sessions, rate-limit windows, request
        log; and no write-only record in the repository."""
        self.sandbox.reset()
        shutil.rmtree(self.root / ".voiceops", ignore_errors=True)


@contextmanager
def bench(fleet: Fleet, latency_ms: float) -> Iterator[Bench]:
    """Serve a sandbox holding `fleet` with `latency_ms` added to every answer, and write
    the repository; everything is removed again on exit."""
    options = SandboxOptions(seed=0, latency_ms=latency_ms, fixture=fixture(fleet))
    sandbox = Sandbox(options)
    with sandbox.serve(port=0), tempfile.TemporaryDirectory(prefix="voiceops-bench-") as tmp:
        root = Path(tmp)
        write_repository(root, sandbox.base_urls, fleet)
        env = {**os.environ, **sandbox.credentials, **fleet.secret_env(), "NO_COLOR": "1"}
        env.pop("VOICEOPS_SANDBOX", None)
        env.pop("VOICEOPS_FLAGS", None)
        yield Bench(sandbox, root, env, fleet)


# -- running voiceops ------------------------------------------------------------------


@dataclass(frozen=True)
class Run:
    """One whole `voiceops` process: wall time from spawn to exit, its own CPU time (user
    and system) and peak RSS."""

    argv: tuple[str, ...]
    wall_s: float
    cpu_s: float
    peak_rss_mb: float
    returncode: int
    stdout: str = field(repr=False)
    stderr: str = field(repr=False)

    @property
    def last_line(self) -> str:
        """The last non-empty line voiceops printed (its summary)."""
        lines = [line for line in self.stdout.splitlines() if line.strip()]
        return lines[-1].strip() if lines else ""

    @property
    def ok(self) -> bool:
        return self.returncode == 0

    def describe_failure(self) -> str:
        tail = "\n".join(self.stderr.strip().splitlines()[-15:])
        return f"{' '.join(self.argv)} exited {self.returncode}:\n{tail}"


def voiceops_executable() -> str:
    """The installed `voiceops` command of this interpreter's environment."""
    beside = Path(sys.executable).with_name("voiceops")
    if beside.is_file():
        return str(beside)
    found = shutil.which("voiceops")
    if found is None:
        raise SystemExit("the voiceops command is not installed; pip install -e .")
    return found


def run_process(argv: list[str], cwd: Path, env: dict[str, str]) -> Run:
    """Run argv to completion; its own rusage (not the whole family's) comes from wait4."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        proc = subprocess.Popen(argv, cwd=cwd, env=env, stdout=out, stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        texts = []
        for file in (out, err):
            file.seek(0)
            texts.append(file.read().decode("utf-8", errors="replace"))
    # ru_maxrss is in kilobytes on Linux.
    cpu = usage.ru_utime + usage.ru_stime
    return Run(tuple(argv), wall, cpu, usage.ru_maxrss / 1024, proc.returncode, *texts)


def run_voiceops(b: Bench, *args: str) -> Run:
    return run_process([voiceops_executable(), *args], b.root, b.env)


def best_run(b: Bench, args: list[str], repeat: int, *, reset: bool) -> Run:
    """The fastest of `repeat` runs (all must succeed); with `reset`, each starts from the
    sandbox's starting state and an empty request log."""
    best: Run | None = None
    for _ in range(max(1, repeat)):
        if reset:
            b.reset()
        run = run_voiceops(b, *args)
        if not run.ok:
            return run
        if best is None or run.wall_s < best.wall_s:
            best = run
    assert best is not None
    return best


def sent_per_vendor(sandbox: Sandbox) -> Counter[str]:
    return Counter(r.vendor for r in sandbox.requests())


# -- the fair bound --------------------------------------------------------------------


def fewest_requests(command: str, per_vendor: int) -> dict[str, int]:
    """Requests the vendors' documented shapes need, per vendor, with every assistant
    changed: `plan` reads each once; `apply` reads, updates, and reads back.

    Interactly and Edmo read one GET per assistant (Edmo after one login); Invent and
    Autocalls read whole accounts by list pages of 100."""
    pages = math.ceil(per_vendor / PAGE_SIZE)
    counts: dict[str, int] = {}
    for vendor in VENDORS:
        reads = pages if vendor in LIST_READ else per_vendor
        login = 1 if vendor in LOGIN else 0
        if command == "plan":
            counts[vendor] = login + reads
        elif command == "apply":
            counts[vendor] = login + reads + per_vendor + reads
        else:
            raise ValueError(f"no request count for {command!r}")
    return counts


@dataclass(frozen=True)
class Bound:
    validate_s: float
    fewest: int
    latency_ms: float
    concurrency: int

    @property
    def network_s(self) -> float:
        return self.fewest * self.latency_ms / 1000.0 / self.concurrency

    @property
    def seconds(self) -> float:
        return self.validate_s + self.network_s

    def formula(self) -> str:
        return (
            f"{self.seconds:.2f} s = validate {self.validate_s:.2f} s + "
            f"{self.fewest} x {self.latency_ms:g} ms / {self.concurrency} "
            f"({self.network_s:.2f} s)"
        )


def print_request_table(fewest: dict[str, int], sent: Counter[str]) -> None:
    print(f"  {'vendor':<12}{'fewest':>8}{'sent':>8}")
    for vendor in VENDORS:
        print(f"  {vendor:<12}{fewest[vendor]:>8}{sent.get(vendor, 0):>8}")
    print(f"  {'total':<12}{sum(fewest.values()):>8}{sum(sent.values()):>8}")


def print_figures(label: str, run: Run, bound: Bound, target: float) -> None:
    ratio = run.wall_s / bound.seconds if bound.seconds else float("inf")
    verdict = "meets" if ratio <= target else "misses"
    wall = f"{run.wall_s:.2f} s (whole process, peak RSS {run.peak_rss_mb:.0f} MB)"
    print(f"{label + ' wall time':<20}{wall}")
    print(f"{'fair bound':<20}{bound.formula()}")
    print(f"{'ratio':<20}{ratio:.2f}x the fair bound (target <= {target}x: {verdict})")


# -- the shared command line of bench_plan and bench_apply ----------------------------


def end_to_end(command: str, argv: list[str], target: float, description: str) -> int:
    """Validate, then `command`, of one repository as whole `voiceops` processes; print
    the request counts, the wall time, the fair bound and the ratio. Exits 0 unless a
    voiceops process failed."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--per-vendor", type=int, default=250, help="assistants per vendor")
    parser.add_argument("--latency-ms", type=float, default=50.0)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--repeat", type=int, default=1, help="report the fastest of N runs")
    args = parser.parse_args(argv)

    fleet = Fleet(args.per_vendor)
    extra = ["--auto-approve", "--allow-mass-update"] if command == "apply" else []
    with bench(fleet, args.latency_ms) as b:
        validate = best_run(b, ["validate"], args.repeat, reset=False)
        if not validate.ok:
            print(validate.describe_failure(), file=sys.stderr)
            return 1
        measured = best_run(
            b, [command, "--concurrency", str(args.concurrency), *extra], args.repeat, reset=True
        )
        sent = sent_per_vendor(b.sandbox)
    if not measured.ok:
        print(measured.describe_failure(), file=sys.stderr)
        return 1

    fewest = fewest_requests(command, args.per_vendor)
    bound = Bound(validate.wall_s, sum(fewest.values()), args.latency_ms, args.concurrency)
    print(
        f"voiceops {command}: {fleet.total} assistants, {args.per_vendor} per vendor, all changed"
    )
    print(f"latency {args.latency_ms:g} ms per request, concurrency {args.concurrency}")
    print("requests")
    print_request_table(fewest, sent)
    print(f"{'voiceops said':<20}{measured.last_line}")
    print(f"{'validate wall time':<20}{validate.wall_s:.2f} s (whole process)")
    print_figures(command, measured, bound, target)
    return 0
