"""Benchmark: `voiceops plan` of 1,000 changed assistants, as a user waits.

The same repository and sandbox as bench_apply.py: 250 assistants on each of the four
vendors' stand-ins, every one differing from its spec, 50 ms added to every answer. It
runs, each as a whole `voiceops` process (interpreter start-up included):

1. `voiceops validate` of the repository (the offline part of the fair bound);
2. `voiceops plan --concurrency 16`.

It prints the requests per vendor (fewest the documented APIs allow, and what voiceops
sent), the wall time, and the ratio to the fair bound (target <= 1.2x):

    fair bound = validate wall time + fewest requests x latency / concurrency

For 250 per vendor, plan needs 507 requests at least: Interactly 250 reads, Edmo 1 login
+ 250 reads, Invent 3 list pages, Autocalls 3 list pages. See common.py for how the
sandbox is served.

    python benchmarks/bench_plan.py [--per-vendor 250] [--latency-ms 50] [--concurrency 16]
                                    [--repeat 1]

Exit code 0 whatever the ratio; 1 only when a voiceops process failed.
"""

from __future__ import annotations

import sys

from common import end_to_end

TARGET_RATIO = 1.2


def main(argv: list[str] | None = None) -> int:
    summary = (__doc__ or "").split("\n\n")[0]
    return end_to_end("plan", sys.argv[1:] if argv is None else argv, TARGET_RATIO, summary)


if __name__ == "__main__":
    raise SystemExit(main())
