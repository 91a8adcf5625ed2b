"""The README stays a short front door, and every docs page is reachable from the site's
navigation (`mkdocs build --strict` in .ci/run checks links and anchors)."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_the_readme_opens_with_the_two_commands() -> None:
    blocks = re.findall(r"```sh\n(.*?)\n```", README, flags=re.DOTALL)
    assert blocks[:2] == [
        'pip install -e . && cd "$(mktemp -d)" && voiceops init && voiceops validate'
        " && voiceops plan --sandbox",
        "pip install -e '.[test]' && pytest",
    ]
    assert README.index("```sh") < README.index("## ")


def test_the_readme_is_short_and_links_into_the_docs() -> None:
    assert len(README.splitlines()) <= 300
    linked = set(re.findall(r"\]\(docs/([a-z0-9-]+\.md)\)", README))
    pages = {page.name for page in (ROOT / "docs").glob("*.md")} - {"index.md"}
    assert pages <= linked, pages - linked


def nav_pages(entries: list[object]) -> list[str]:
    found: list[str] = []
    for entry in entries:
        value = next(iter(entry.values())) if isinstance(entry, dict) else entry
        found += nav_pages(value) if isinstance(value, list) else [str(value)]
    return found


def test_every_page_is_in_the_navigation_once() -> None:
    config = yaml.safe_load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"))
    listed = nav_pages(config["nav"])
    assert len(listed) == len(set(listed))
    pages = {str(p.relative_to(ROOT / "docs")) for p in (ROOT / "docs").rglob("*.md")}
    assert set(listed) == pages
