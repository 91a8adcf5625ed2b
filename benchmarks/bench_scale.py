"""Benchmark: validate, plan and apply at 1,000, 5,000 and 10,000 assistants.

For each size, a quarter of the assistants on each of the four vendors' stand-ins, every
one differing from its spec, and each Interactly spec carrying its own `${env:...}`
webhook secret in `assistantServer.secret` (the documented sensitive field; the other
vendors document none that a spec can set). Every command runs as a whole `voiceops`
process (start-up included); the script prints its wall time, the time per assistant,
and the process's own peak RSS (from `os.wait4`), with the fewest and the sent request
counts and the fair bound; then the time and memory each further assistant costs from one
size to the next, which stays flat when growth is linear:

    fair bound = validate wall time + fewest requests x latency / concurrency

Invent documents 500 requests per minute; apply at 5,000 and more needs more Invent
requests than that (2,550 at 10,000), so apply also prints the floor that limit alone
sets (whole windows of 500), and the bound including it. The sandbox enforces the limit;
its windows are reset between commands, as if each ran a minute apart.

Then, at the largest size and 0 ms latency: `voiceops plan` against a bare httpx client
(an `httpx.AsyncClient` per vendor, as many workers as voiceops's concurrency, the
documented auth: Bearer headers, Edmo's login cookie) sending the same requests voiceops
sent, taken from the sandbox's request log. Both are timed as whole processes, so both
pay an interpreter start-up; the target is voiceops <= 1.2x the bare client. The two
alternate for `--repeat` rounds (3), and the median ratio is the figure; each round also
prints both processes' CPU time, which the machine's load moves less than wall time.

    python benchmarks/bench_scale.py [--sizes 1000,5000,10000] [--latency-ms 0]
                                     [--concurrency 16] [--commands validate,plan,apply]
                                     [--no-bare] [--repeat 3]
    python benchmarks/bench_scale.py --sizes 1000 --commands validate,plan   # quick

Latency defaults to 0 ms, so that the sizes compare voiceops's own work. Apply at 10,000
takes minutes (the Invent limit); the whole run about ten. Exit code 0 whatever the
figures; 1 only when a voiceops process failed.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import math
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from common import (
    VENDORS,
    Bench,
    Bound,
    Fleet,
    Run,
    bench,
    fewest_requests,
    run_process,
    run_voiceops,
    sent_per_vendor,
)

PLAN_VS_BARE_TARGET = 1.2
INVENT_PER_MINUTE = 500
COMMANDS = ("validate", "plan", "apply")
TOKENS = {
    "interactly": "INTERACTLY_API_KEY",
    "invent": "INVENT_API_KEY",
    "autocalls": "AUTOCALLS_TOKEN",
}


# -- voiceops at each size -------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    size: int
    command: str
    run: Run
    fewest: int
    sent: int
    bound: Bound | None
    rate_floor_s: float
    extra: str = ""  # vendors whose sent count differs from the fewest, e.g. "invent +7"


def invent_floor_s(per_vendor: int) -> float:
    """Seconds Invent's documented 500-a-minute limit alone imposes on apply."""
    needed = fewest_requests("apply", per_vendor)["invent"]
    return math.floor((needed - 1) / INVENT_PER_MINUTE) * 60.0


def measure_size(size: int, args: argparse.Namespace) -> list[Row]:
    fleet = Fleet(size // len(VENDORS), secrets=True)
    rows: list[Row] = []
    with bench(fleet, args.latency_ms) as b:
        validate: Run | None = None
        for command in args.commands:
            row = measure_command(b, command, args, validate)
            rows.append(row)
            print_row(row)
            if not row.run.ok:
                print(row.run.describe_failure(), file=sys.stderr)
                break
            if command == "validate":
                validate = row.run
    return rows


def measure_command(b: Bench, command: str, args: argparse.Namespace, validate: Run | None) -> Row:
    extra: list[str] = []
    if command != "validate":
        extra = ["--concurrency", str(args.concurrency)]
    if command == "apply":
        extra += ["--auto-approve", "--allow-mass-update"]
    b.reset()
    run = run_voiceops(b, command, *extra)
    sent = sent_per_vendor(b.sandbox)
    if command == "validate":
        return Row(b.fleet.total, command, run, 0, sum(sent.values()), None, 0.0)
    fewest = fewest_requests(command, b.fleet.per_vendor)
    bound = None
    if validate is not None:
        bound = Bound(validate.wall_s, sum(fewest.values()), args.latency_ms, args.concurrency)
    floor = invent_floor_s(b.fleet.per_vendor) if command == "apply" else 0.0
    differences = ", ".join(
        f"{v} {sent[v] - fewest[v]:+d}" for v in VENDORS if sent[v] != fewest[v]
    )
    return Row(
        b.fleet.total,
        command,
        run,
        sum(fewest.values()),
        sum(sent.values()),
        bound,
        floor,
        differences,
    )


def print_header() -> None:
    print(
        f"{'size':>6} {'command':<9}{'wall s':>8}{'ms/asst':>9}{'peak MB':>9}"
        f"{'fewest':>8}{'sent':>8}  fair bound, ratio"
    )


def print_row(row: Row) -> None:
    run = row.run
    per = run.wall_s / row.size * 1000
    line = (
        f"{row.size:>6} {row.command:<9}{run.wall_s:>8.2f}{per:>9.3f}{run.peak_rss_mb:>9.0f}"
        f"{row.fewest or '':>8}{row.sent or '':>8}  "
    )
    if not run.ok:
        line += f"FAILED (exit {run.returncode})"
    elif row.bound is not None:
        ratio = run.wall_s / row.bound.seconds
        line += f"{row.bound.seconds:.2f} s, {ratio:.2f}x"
        if row.rate_floor_s:
            limited = row.bound.validate_s + max(row.bound.network_s, row.rate_floor_s)
            line += (
                f"; with Invent's 500/min floor ({row.rate_floor_s:.0f} s) "
                f"{limited:.2f} s, {run.wall_s / limited:.2f}x"
            )
    if row.extra:
        line += f"; sent beyond the fewest: {row.extra}"
    print(line, flush=True)


def print_growth(rows: list[Row]) -> None:
    """Cost of each further assistant between consecutive sizes: start-up drops out, and
    under linear growth the figures stay flat from one interval to the next (a quadratic
    step would grow them in proportion to the size)."""
    lines = []
    for command in COMMANDS:
        runs = [r for r in rows if r.command == command and r.run.ok]
        parts = []
        for before, after in itertools.pairwise(runs):
            added = after.size - before.size
            ms = (after.run.wall_s - before.run.wall_s) / added * 1000
            kb = (after.run.peak_rss_mb - before.run.peak_rss_mb) / added * 1024
            parts.append(f"{before.size}->{after.size}: {ms:.3f} ms, {kb:.1f} kB")
        if parts:
            lines.append(f"  {command:<9}" + "; ".join(parts))
    if lines:
        print("per further assistant between sizes (flat = linear): ms of wall time, kB of RSS")
        print("\n".join(lines))


# -- voiceops plan against a bare httpx client ------------------------------------------


def replay_file(b: Bench, concurrency: int, directory: Path) -> Path:
    """What the bare client needs: base URLs, credentials, and the logged requests."""
    requests = [
        [r.vendor, r.method, r.path, r.query, None if r.method == "GET" else r.body]
        for r in b.sandbox.requests()
    ]
    data = {
        "concurrency": concurrency,
        "base_urls": b.sandbox.base_urls,
        "credentials": b.sandbox.credentials,
        "requests": requests,
    }
    path = directory / "replay.json"
    path.write_text(json.dumps(data), "utf-8")
    return path


async def replay(data: dict[str, Any]) -> dict[str, Any]:
    """Send the logged requests from `concurrency` workers sharing every vendor's client,
    each vendor's logins first (Edmo answers them with the cookie the rest need)."""
    credentials = data["credentials"]
    concurrency = data["concurrency"]
    clients: dict[str, httpx.AsyncClient] = {}
    for vendor, base_url in data["base_urls"].items():
        headers = {"Accept": "application/json"}
        if vendor in TOKENS:
            headers["Authorization"] = f"Bearer {credentials[TOKENS[vendor]]}"
        limits = httpx.Limits(max_connections=concurrency)
        clients[vendor] = httpx.AsyncClient(base_url=base_url, headers=headers, limits=limits)
    statuses: dict[int, int] = {}

    async def send(vendor: str, method: str, path: str, query: dict[str, str], body: Any) -> None:
        client = clients[vendor]
        if path == "/auth/login":
            body = {"email": credentials["EDMO_EMAIL"], "password": credentials["EDMO_PASSWORD"]}
        response = await client.request(method, path, params=query, json=body)
        if path == "/auth/login":
            client.headers["Cookie"] = f"auth-token={response.cookies['auth-token']}"
        statuses[response.status_code] = statuses.get(response.status_code, 0) + 1

    async def worker(queue: list[list[Any]]) -> None:
        while queue:
            await send(*queue.pop())

    requests = data["requests"]
    logins = [r for r in requests if r[2] == "/auth/login"]
    rest = [r for r in reversed(requests) if r[2] != "/auth/login"]  # pop() keeps log order
    started = time.perf_counter()
    await asyncio.gather(*(send(*r) for r in logins))
    await asyncio.gather(*(worker(rest) for _ in range(concurrency)))
    elapsed = time.perf_counter() - started
    for client in clients.values():
        await client.aclose()
    return {"requests_s": elapsed, "statuses": statuses}


def replay_main(path: str) -> int:
    data = json.loads(Path(path).read_text("utf-8"))
    print(json.dumps(asyncio.run(replay(data))))
    return 0


def plan_against_bare(size: int, concurrency: int, repeat: int) -> bool:
    """`repeat` rounds, each timing voiceops plan and then the bare client replaying the
    requests voiceops sent: alternating keeps a change in the machine's load from landing
    on one side only. Prints each round and the median ratios, of wall and of CPU time."""
    fleet = Fleet(size // len(VENDORS), secrets=True)
    rounds: list[tuple[Run, Run]] = []
    with bench(fleet, 0.0) as b, tempfile.TemporaryDirectory() as tmp:
        validate = run_voiceops(b, "validate")
        if not validate.ok:
            print(validate.describe_failure(), file=sys.stderr)
            return False
        print(f"plan of {size} assistants at 0 ms latency, concurrency {concurrency}")
        for _ in range(max(1, repeat)):
            b.reset()
            plan = run_voiceops(b, "plan", "--concurrency", str(concurrency))
            if not plan.ok:
                print(plan.describe_failure(), file=sys.stderr)
                return False
            sent = sent_per_vendor(b.sandbox)
            replay_path = replay_file(b, concurrency, Path(tmp))
            b.reset()
            argv = [sys.executable, __file__, "--replay", str(replay_path)]
            bare = run_process(argv, b.root, b.env)
            if not bare.ok:
                print(bare.describe_failure(), file=sys.stderr)
                return True
            rounds.append((plan, bare))
            print_round(len(rounds), plan, bare, json.loads(bare.stdout))
    print("  requests " + ", ".join(f"{v} {sent.get(v, 0)}" for v in VENDORS))
    print_bare_verdict(rounds)
    fewest = fewest_requests("plan", fleet.per_vendor)
    bound = Bound(validate.wall_s, sum(fewest.values()), 0.0, concurrency)
    wall = statistics.median(plan.wall_s for plan, _ in rounds)
    print(f"  fair bound         {bound.formula()}; {wall / bound.seconds:.2f}x")
    return True


def print_round(number: int, plan: Run, bare: Run, inner: dict[str, Any]) -> None:
    print(
        f"  round {number}: voiceops plan {plan.wall_s:.2f} s (CPU {plan.cpu_s:.2f} s, peak"
        f" {plan.peak_rss_mb:.0f} MB); bare httpx client {bare.wall_s:.2f} s (CPU"
        f" {bare.cpu_s:.2f} s, peak {bare.peak_rss_mb:.0f} MB, {inner['requests_s']:.2f} s"
        f" sending, statuses {inner['statuses']}); ratio {plan.wall_s / bare.wall_s:.2f}x",
        flush=True,
    )


def print_bare_verdict(rounds: list[tuple[Run, Run]]) -> None:
    walls = [plan.wall_s / bare.wall_s for plan, bare in rounds]
    cpus = [plan.cpu_s / bare.cpu_s for plan, bare in rounds]
    wall = statistics.median(walls)
    verdict = "meets" if wall <= PLAN_VS_BARE_TARGET else "misses"
    print(
        f"  ratio              {wall:.2f}x the bare client, median of {len(rounds)} (range"
        f" {min(walls):.2f}-{max(walls):.2f}x; target <= {PLAN_VS_BARE_TARGET}x: {verdict});"
        f" CPU time {statistics.median(cpus):.2f}x"
    )


# -- command line ----------------------------------------------------------------------


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument(
        "--sizes", default="1000,5000,10000", help="total assistants, comma-separated"
    )
    parser.add_argument("--latency-ms", type=float, default=0.0)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--commands", default=",".join(COMMANDS))
    parser.add_argument("--no-bare", action="store_true", help="skip plan vs bare httpx")
    parser.add_argument(
        "--repeat", type=int, default=3, help="rounds of plan vs bare httpx (median printed)"
    )
    parser.add_argument("--replay", help=argparse.SUPPRESS)  # the bare client's own process
    args = parser.parse_args(argv)
    args.sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    args.commands = [c.strip() for c in args.commands.split(",") if c.strip()]
    unknown = set(args.commands) - set(COMMANDS)
    if unknown or any(size <= 0 or size % len(VENDORS) for size in args.sizes):
        parser.error("--sizes are positive multiples of 4; --commands from validate,plan,apply")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    if args.replay:
        return replay_main(args.replay)
    print(f"latency {args.latency_ms:g} ms per request, concurrency {args.concurrency}")
    print_header()
    rows: list[Row] = []
    for size in args.sizes:
        rows += measure_size(size, args)
    print_growth(rows)
    ok = all(r.run.ok for r in rows)
    if not args.no_bare and ok:
        ok = plan_against_bare(max(args.sizes), args.concurrency, args.repeat)
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
