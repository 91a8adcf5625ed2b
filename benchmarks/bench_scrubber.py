"""How long the secret scrubber takes over a large output with many secrets.

Every output of a run passes through `voiceops.reconcile.redaction.Redactor`, which masks
each secret in its raw, JSON-escaped, URL-encoded and repr forms. At 10,000 assistants with a
unique webhook secret each, one alternation of every secret (what the scrubber used to be) took
seconds; the Aho-Corasick automaton makes the cost grow with the output, not with
secrets x output.

Usage: python benchmarks/bench_scrubber.py [--secrets 10000] [--size 1000000] [--repeat 5]
"""

from __future__ import annotations

import argparse
import random
import secrets
import string
import time

from voiceops.reconcile.redaction import Redactor


def make_output(size: int, known: list[str], rng: random.Random) -> str:
    """Plan-like text of about `size` characters; one line in ten quotes a secret."""
    words = ["assistant", "update", "idleTimeout", "webhook", "->", "live", "git", "30", "45"]
    lines: list[str] = []
    total = 0
    while total < size:
        line = " ".join(rng.choice(words) for _ in range(12))
        if rng.random() < 0.1:
            line += f' "secret": "{rng.choice(known)}"'
        lines.append(line)
        total += len(line) + 1
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--secrets", type=int, default=10_000)
    parser.add_argument("--size", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    rng = random.Random(0)
    alphabet = string.ascii_letters + string.digits + '-_/+%"\\'
    known = [
        secrets.token_urlsafe(18) if n % 2 else "".join(rng.choices(alphabet, k=24))
        for n in range(args.secrets)
    ]
    output = make_output(args.size, known, rng)

    redactor = Redactor()
    redactor.add(*known)
    started = time.perf_counter()
    redactor.redact("warm-up")  # builds the automaton over every encoding of every secret
    build = time.perf_counter() - started

    best = float("inf")
    for _ in range(args.repeat):
        started = time.perf_counter()
        masked = redactor.redact(output)
        best = min(best, time.perf_counter() - started)
    assert not any(secret in masked for secret in known[:100])
    print(
        f"{args.secrets:,} secrets, {len(output) / 1e6:.1f} MB output: "
        f"scrub {best:.3f} s (best of {args.repeat}), automaton built once in {build:.2f} s"
    )


if __name__ == "__main__":
    main()
