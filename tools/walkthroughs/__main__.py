"""`python -m tools.walkthroughs [--write] [NAME…]`: run the walkthroughs against the sandbox
and compare their transcripts with the docs (exit 1 on a difference), or rewrite the docs."""

from __future__ import annotations

import argparse
import difflib
import sys
from pathlib import Path

from tools.walkthroughs import WALKTHROUGHS
from tools.walkthroughs.runner import rewrite, transcripts

ROOT = Path(__file__).resolve().parents[2]


# The site's home page is the README, with its links into docs/ made relative to docs/.
SITE_HOME = "docs/index.md"


def site_home(readme: str) -> str:
    return readme.replace("](docs/", "](")


def expected_pages(name: str) -> dict[str, str]:
    """Each page of the walkthrough as it should read after a run (and the site's home
    page, which follows the README)."""
    walkthrough = WALKTHROUGHS[name]
    blocks = transcripts(walkthrough)
    pages = {p: rewrite((ROOT / p).read_text(encoding="utf-8"), blocks) for p in walkthrough.pages}
    if "README.md" in pages:
        pages[SITE_HOME] = site_home(pages["README.md"])
    return pages


def differences(name: str, write: bool) -> list[str]:
    """The unified diff between a walkthrough's pages and what its run prints; with `write`,
    the pages are rewritten instead."""
    diff: list[str] = []
    for page_name, after in expected_pages(name).items():
        page = ROOT / page_name
        before = page.read_text(encoding="utf-8")
        if write and after != before:
            page.write_text(after, encoding="utf-8")
            continue
        diff += difflib.unified_diff(
            before.splitlines(keepends=True),
            after.splitlines(keepends=True),
            fromfile=f"{page_name} (in the docs)",
            tofile=f"{page_name} (what the walkthrough printed)",
        )
    return diff


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.walkthroughs", description=__doc__)
    parser.add_argument("--write", action="store_true", help="rewrite the docs' transcripts")
    parser.add_argument("names", nargs="*", metavar="NAME", help=", ".join(WALKTHROUGHS))
    args = parser.parse_args(argv)
    unknown = sorted(set(args.names) - set(WALKTHROUGHS))
    if unknown:
        parser.error(f"no walkthrough is named {', '.join(unknown)}")
    failed = False
    for name in args.names or list(WALKTHROUGHS):
        diff = differences(name, args.write)
        if diff:
            failed = True
            sys.stdout.writelines(diff)
            print(f"\n{name}: the docs differ; run python -m tools.walkthroughs --write {name}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
