"""The documentation's walkthroughs run against real sandboxes, and the docs show exactly
what they print (`python -m tools.walkthroughs --write` regenerates them)."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
walkthroughs = importlib.import_module("tools.walkthroughs")
runner = importlib.import_module("tools.walkthroughs.runner")
command = importlib.import_module("tools.walkthroughs.__main__")


@pytest.mark.parametrize("name", sorted(walkthroughs.WALKTHROUGHS))
def test_the_docs_show_what_the_walkthrough_prints(name: str) -> None:
    diff = command.differences(name, write=False)
    assert diff == [], "".join(diff) + "\nrun: python -m tools.walkthroughs --write " + name


def test_every_marked_block_belongs_to_a_walkthrough() -> None:
    # A block no script fills would keep whatever text someone typed into it.
    pages = {page for w in walkthroughs.WALKTHROUGHS.values() for page in w.pages}
    pages.add(command.SITE_HOME)  # the README, copied
    named = {
        step.name
        for w in walkthroughs.WALKTHROUGHS.values()
        for step in w.steps
        if isinstance(step, runner.Block)
    } | set(walkthroughs.WALKTHROUGHS)
    for page in [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]:
        text = page.read_text(encoding="utf-8")
        for marked in runner.BLOCK_NAME.findall(text):
            assert marked in named, (page, marked)
            assert str(page.relative_to(ROOT)) in pages, (page, marked)


def test_a_page_that_differs_from_the_transcript_is_found(tmp_path: Path) -> None:
    page = (
        "intro\n<!-- walkthrough: w -->\n```console\n$ typed by hand\n```\n<!-- /walkthrough -->\n"
    )
    rewritten = runner.rewrite(page, {"w": "$ voiceops validate\n[exit 0]"})
    assert rewritten != page
    assert "$ typed by hand" not in rewritten
    assert "$ voiceops validate\n[exit 0]\n```" in rewritten
    with pytest.raises(LookupError):
        runner.rewrite("no blocks here\n", {"w": "x"})


def test_runs_are_made_comparable() -> None:
    lines = ["Plan: 2 to update", "  unchanged      b", "  applied        a", "Apply: done"]
    assert runner.stable_outcomes(lines) == [
        "Plan: 2 to update",
        "  applied        a",
        "  unchanged      b",
        "Apply: done",
    ]
    text = "id asst_555555555, then asst_111111111, again asst_555555555"
    masked = runner.mask_volatile(text, [(r"asst_[0-9]{9}", "asst_10000000{}")])
    assert masked == "id asst_100000001, then asst_100000002, again asst_100000001"


def test_a_walkthrough_that_no_longer_fits_stops() -> None:
    # voiceops refuses a folder without voiceops.yaml, which the step does not expect.
    surprising = runner.Walkthrough("w", [], [runner.Run("voiceops validate")])
    with pytest.raises(runner.UnexpectedExit, match="exited 1"):
        runner.transcripts(surprising)
    # An edit of text that voiceops no longer writes (a renamed field, say).
    stale_edit = runner.Walkthrough(
        "w",
        [],
        [runner.Write("a.yaml", "old_name: 1\n"), runner.Edit("a.yaml", "gone: 1", "x: 2", "")],
    )
    with pytest.raises(LookupError, match="old_name"):
        runner.transcripts(stale_edit)


def test_files_are_shown_as_the_commands_that_write_them() -> None:
    steps = [
        runner.Write("notes/a.yaml", "key: value\n"),
        runner.Run("cat notes/a.yaml"),
        runner.Run("voiceops validate", exit_code=1),
    ]
    shown = runner.transcripts(runner.Walkthrough("w", [], steps))["w"].splitlines()
    assert shown[:3] == ["$ cat > notes/a.yaml <<'EOF'", "key: value", "EOF"]
    assert shown[3:5] == ["$ cat notes/a.yaml", "key: value"]
    assert shown[-1] == "[exit 1]"
