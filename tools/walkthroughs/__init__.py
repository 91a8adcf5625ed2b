"""The documentation's walkthroughs: scripts that run against the sandbox, and the one
command that writes their transcripts into the docs (`python -m tools.walkthroughs --write`)."""

from __future__ import annotations

from tools.walkthroughs.day_one import DAY_ONE
from tools.walkthroughs.environments import ENVIRONMENTS
from tools.walkthroughs.lifecycle import LIFECYCLE
from tools.walkthroughs.runner import Walkthrough
from tools.walkthroughs.tour import TOUR

WALKTHROUGHS: dict[str, Walkthrough] = {w.name: w for w in (TOUR, DAY_ONE, LIFECYCLE, ENVIRONMENTS)}
