"""The shipped apply workflow, run job by job and step by step, in a repository whose
voiceops.yaml defines staging and production, against a bare git origin on disk (default
branch `trunk`) and two sandboxes served on 127.0.0.1: staging's and production's.

Each GitHub environment holds its own values of the same secret names, so the test hands
each job the credentials of its environment's sandbox; staging's connections differ from
production's only by base_url (an overlay in voiceops.yaml).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.integration.workflow_helpers import (
    PATH,
    REPO,
    Context,
    JobResult,
    base_env,
    git,
    load,
    run_job,
)
from voiceops.sandbox import Sandbox, SandboxOptions

BRANCH = "trunk"
# New documents (no id anywhere) on Edmo, Invent and Autocalls.
NEW = {"enrollment-assistant": "edmo", "support-concierge": "invent", "sales-outreach": "autocalls"}
# Autocalls creates need fields an update does not: the new document has them.
SALES = """\
apiVersion: voiceops/v1
kind: Assistant
metadata:
  name: sales-outreach
provider: autocalls-sales
spec:
  name: Sales Outreach
  voice_id: 12
  language_id: 1
  type: outbound
  mode: multimodal
  multimodal_model_id: 1
  timezone: America/New_York
  initial_message: Hi, this is Alex from Acme Cloud.
  system_prompt: |
    Find out the caller's team size and offer a demo.
"""

pytestmark = pytest.mark.skipif(
    shutil.which("git") is None or shutil.which("voiceops", path=PATH) is None,
    reason="git and the voiceops command are needed",
)


@pytest.fixture
def staging_sandbox() -> Iterator[Sandbox]:
    sb = Sandbox(SandboxOptions(seed=2))
    with sb.serve(port=0):
        yield sb


@pytest.fixture
def origin(tmp_path: Path, sandbox: Sandbox, staging_sandbox: Sandbox) -> Path:
    """The repository on the remote: staging and production, three new documents."""
    seed = tmp_path / "seed"
    seed.mkdir()
    config = yaml.safe_load((REPO / "voiceops.yaml").read_text(encoding="utf-8"))
    staging: dict[str, Any] = {}
    for name, connection in config["providers"].items():
        connection["base_url"] = sandbox.base_urls[connection["type"]]
        staging[name] = {"base_url": staging_sandbox.base_urls[connection["type"]]}
    config["environments"] = {"staging": {"providers": staging}, "production": {}}
    (seed / "voiceops.yaml").write_text(yaml.safe_dump(config, sort_keys=False), "utf-8")
    shutil.copytree(REPO / "assistants", seed / "assistants")
    (seed / "assistants" / "sales-outreach.yaml").write_text(SALES, "utf-8")
    for spec in (seed / "assistants").glob("*.yaml"):
        text = spec.read_text(encoding="utf-8")
        found = re.search(r'(?m)^id: "?([^"\n]*)"?\n', text)
        if found:
            text = text.replace(found.group(0), "", 1)
        if found and spec.stem not in NEW:
            both = "".join(
                f'  {e}: {{id: "{found.group(1)}"}}\n' for e in ("staging", "production")
            )
            text = text.rstrip("\n") + f"\nenvironments:\n{both}"
        spec.write_text(text, encoding="utf-8")
    bare = tmp_path / "origin.git"
    git(tmp_path, "init", "--quiet", "--bare", f"--initial-branch={BRANCH}", str(bare))
    git(seed, "init", "--quiet", f"--initial-branch={BRANCH}")
    git(seed, "add", ".")
    git(seed, "commit", "--quiet", "-m", "specs")
    git(seed, "remote", "add", "origin", str(bare))
    git(seed, "push", "--quiet", "origin", BRANCH)
    return bare


def secrets(sb: Sandbox) -> dict[str, str]:
    return {f"secrets.{name}": value for name, value in sb.credentials.items()}


def context() -> Context:
    return Context(
        {
            "github.event.repository.default_branch": BRANCH,
            "github.ref_name": BRANCH,
            "inputs.allow_mass_update": "",
        }
    )


def job(ctx: Context, name: str, work: Path, origin: Path, sb: Sandbox | None = None) -> JobResult:
    if sb is not None:
        ctx.values.update(secrets(sb))
    done = run_job(load("apply.yml"), name, origin, work, ctx)
    assert not done.failed, done.log
    return done


def tip_document(origin: Path, name: str) -> dict[str, Any]:
    text = git(origin, "show", f"{BRANCH}:assistants/{name}.yaml")
    loaded: dict[str, Any] = yaml.safe_load(text)
    return loaded


def planned_creates(origin: Path, work: Path, env: str, sb: Sandbox) -> list[str]:
    """What `voiceops plan --env ENV` on the tip would create."""
    root = work / f"plan-{env}"
    git(origin.parent, "clone", "--quiet", str(origin), str(root))
    done = subprocess.run(
        ["voiceops", "plan", "--env", env, "--format", "json"],
        cwd=root,
        env={**base_env(work), **sb.credentials},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode in (0, 2), done.stderr
    plan = json.loads(done.stdout)
    return [a["name"] for a in plan["assistants"] if a["status"] in ("create", "adopt")]


def edmo_named(sb: Sandbox, shown: str) -> int:
    return sum(1 for a in sb.assistants("edmo") if a.get("name") == shown)


def test_one_run_puts_both_environments_ids_on_the_default_branch(
    origin: Path, tmp_path: Path, sandbox: Sandbox, staging_sandbox: Sandbox
) -> None:
    ctx = context()
    setup = job(ctx, "setup", tmp_path / "run", origin)
    assert setup.outputs == {
        "staging": "staging",
        "production": "production",
        "apply_in": "staging",
    }
    staged = job(ctx, "apply", tmp_path / "run", origin, staging_sandbox)
    assert "voiceops apply succeeded in staging" in staged.summary
    commit = staged.outputs["commit"]
    assert commit == git(origin, "rev-parse", BRANCH).strip()
    assert "[skip ci]" in git(origin, "log", "-1", "--format=%s", BRANCH)

    produced = job(ctx, "production", tmp_path / "run", origin, sandbox)
    assert "voiceops apply succeeded in production" in produced.summary
    for name in NEW:
        environments = tip_document(origin, name)["environments"]
        assert set(environments) == {"staging", "production"}, name
        assert all(environments[e]["id"] for e in environments), name
    assert planned_creates(origin, tmp_path, "staging", staging_sandbox) == []
    assert planned_creates(origin, tmp_path, "production", sandbox) == []
    shown = "Enrollment Assistant"
    assert (edmo_named(staging_sandbox, shown), edmo_named(sandbox, shown)) == (2, 2)


def test_production_applies_what_staging_pushed_when_a_merge_lands_in_between(
    origin: Path, tmp_path: Path, sandbox: Sandbox, staging_sandbox: Sandbox
) -> None:
    ctx = context()
    job(ctx, "setup", tmp_path / "run", origin)
    staged = job(ctx, "apply", tmp_path / "run", origin, staging_sandbox)

    # A merge lands on the default branch while production waits for its reviewers.
    other = tmp_path / "other"
    git(origin.parent, "clone", "--quiet", str(origin), str(other))
    spec = other / "assistants" / "enrollment-assistant.yaml"
    spec.write_text(
        spec.read_text("utf-8").replace("Enrollment Assistant", "Enrollment Desk"), "utf-8"
    )
    git(other, "commit", "--quiet", "-am", "merged meanwhile")
    git(other, "push", "--quiet", "origin", BRANCH)

    produced = job(ctx, "production", tmp_path / "run", origin, sandbox)
    assert git(produced.root, "log", "--format=%s", "-3").splitlines()[1:] == [
        "merged meanwhile",
        git(origin, "log", "-1", "--format=%s", staged.outputs["commit"]).strip(),
    ]
    # Production got what staging applied, not the merge staging has not seen yet.
    assert edmo_named(sandbox, "Enrollment Assistant") == 2
    assert edmo_named(sandbox, "Enrollment Desk") == 0
    document = tip_document(origin, "enrollment-assistant")
    assert document["spec"]["name"] == "Enrollment Desk"
    assert set(document["environments"]) == {"staging", "production"}


def test_two_runs_racing_lose_no_id_and_create_nothing_twice(
    origin: Path, tmp_path: Path, sandbox: Sandbox, staging_sandbox: Sandbox
) -> None:
    """Run 1's production job and run 2's staging job push at the same moment; run 2's
    production job then starts from staging's commit, which lacks run 1's production ids."""
    first, second = context(), context()
    job(first, "setup", tmp_path / "one", origin)
    job(first, "apply", tmp_path / "one", origin, staging_sandbox)

    # Run 2: a merge adds a new Edmo document.
    other = tmp_path / "other"
    git(origin.parent, "clone", "--quiet", str(origin), str(other))
    source = (other / "assistants" / "enrollment-assistant.yaml").read_text("utf-8")
    extra = source.replace("name: enrollment-assistant", "name: enrollment-two")
    extra = re.sub(r"(?ms)^environments:.*", "", extra)
    (other / "assistants" / "enrollment-two.yaml").write_text(extra, "utf-8")
    git(other, "add", ".")
    git(other, "commit", "--quiet", "-m", "a second enrollment assistant")
    git(other, "push", "--quiet", "origin", BRANCH)
    job(second, "setup", tmp_path / "two", origin)

    racing: dict[str, JobResult] = {}
    first.values.update(secrets(sandbox))
    second.values.update(secrets(staging_sandbox))
    runs = [
        threading.Thread(
            target=lambda: racing.update(
                one=run_job(load("apply.yml"), "production", origin, tmp_path / "one", first)
            )
        ),
        threading.Thread(
            target=lambda: racing.update(
                two=run_job(load("apply.yml"), "apply", origin, tmp_path / "two", second)
            )
        ),
    ]
    for thread in runs:
        thread.start()
    for thread in runs:
        thread.join()
    for name, done in racing.items():
        assert not done.failed, (name, done.log)

    job(second, "production", tmp_path / "two", origin, sandbox)
    for name in [*NEW, "enrollment-two"]:
        environments = tip_document(origin, name)["environments"]
        assert set(environments) == {"staging", "production"}, name
    assert planned_creates(origin, tmp_path, "staging", staging_sandbox) == []
    assert planned_creates(origin, tmp_path, "production", sandbox) == []
    # Run 1 created enrollment-assistant in production; run 2 did not create it again.
    assert edmo_named(sandbox, "Enrollment Assistant") == 3  # the seed's, and two documents'
