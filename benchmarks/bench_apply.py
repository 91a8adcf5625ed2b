"""Benchmark: `voiceops apply --auto-approve` of 1,000 changed assistants, as a user waits.

Puts 250 assistants on each of the four vendors' stand-ins (Interactly, Edmo, Invent,
Autocalls), every one differing from its spec, with 50 ms added to every answer. Then it
runs, each as a whole `voiceops` process (interpreter start-up included):

1. `voiceops validate` of the repository (the offline part of the fair bound);
2. `voiceops apply --auto-approve --allow-mass-update --concurrency 16`.

It prints the requests per vendor (fewest the documented APIs allow, and what voiceops
sent), the wall time, and the ratio to the fair bound (target <= 1.3x):

    fair bound = validate wall time + fewest requests x latency / concurrency

For 250 per vendor, apply needs 2,013 requests at least: Interactly 250 reads + 250
updates + 250 read-backs; Edmo 1 login + 750; Invent 3 list pages + 250 updates + 3 pages
of read-back; Autocalls likewise 256. See common.py for how the sandbox is served.

    python benchmarks/bench_apply.py [--per-vendor 250] [--latency-ms 50] [--concurrency 16]
                                     [--repeat 1]

Exit code 0 whatever the ratio; 1 only when a voiceops process failed.
"""

from __future__ import annotations

import sys

from common import end_to_end

TARGET_RATIO = 1.3


def main(argv: list[str] | None = None) -> int:
    summary = (__doc__ or "").split("\n\n")[0]
    return end_to_end("apply", sys.argv[1:] if argv is None else argv, TARGET_RATIO, summary)


if __name__ == "__main__":
    raise SystemExit(main())
