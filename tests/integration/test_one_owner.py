"""One live assistant, one owner, through real `voiceops` processes against the sandbox:
the run lock, account identity across environments and connections, created ids that are
written only when sound, and import keeping `${env:}` references."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner, Result

from tests.conftest import Workspace
from tests.integration.test_lifecycle import CREATE_PATHS, NEW, live_named, new_document
from tests.leaks import encodings
from voiceops.cli import main
from voiceops.cli.hooks import RunHooks
from voiceops.sandbox import Faults

GUARD_S = 300.0  # only against a hung process
PAIRS = 20
LOCK = Path(".voiceops") / "run.lock"
PENDING = Path(".voiceops") / "pending-creates.json"


def command(ws: Workspace, *args: str, env: dict[str, str] | None = None) -> list[str]:
    return [sys.executable, "-m", "voiceops", args[0], "--config", str(ws.config), *args[1:]]


def environ(ws: Workspace, env: dict[str, str] | None = None) -> dict[str, str]:
    inherited = {k: v for k, v in os.environ.items() if not k.startswith("VOICEOPS")}
    return {**inherited, **ws.env, "NO_COLOR": "1", **(env or {})}


def voiceops(
    ws: Workspace, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """A real `voiceops` process in the workspace."""
    done = subprocess.run(
        command(ws, *args),
        cwd=ws.root,
        env=environ(ws, env),
        capture_output=True,
        text=True,
        timeout=GUARD_S,
        check=False,
    )
    assert "Traceback" not in done.stdout + done.stderr, done.stderr
    return done


def start(ws: Workspace, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        command(ws, *args),
        cwd=ws.root,
        env=environ(ws),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def create_scope(vendor: str) -> str:
    return "POST " + CREATE_PATHS[vendor].replace("/c/", "/*/")


def creates(ws: Workspace, vendor: str) -> int:
    return sum(
        1
        for r in ws.sandbox.requests(vendor)
        if r.method == "POST" and r.path == CREATE_PATHS[vendor] and r.status < 300
    )


def write_pair_document(ws: Workspace, vendor: str, n: int) -> tuple[str, str, Path]:
    """The vendor's new document (no id) under a name and shown name of its own."""
    connection, name, spec, shown = NEW[vendor]
    mine, my_shown = f"{name}-{n}", f"{shown} {n}"
    text = (
        "apiVersion: voiceops/v1\nkind: Assistant\n"
        f"metadata:\n  name: {mine}\nprovider: {connection}\nspec:\n"
        + spec.replace(shown, my_shown)
    )
    path = ws.root / "assistants" / f"{mine}.yaml"
    path.write_text(text, encoding="utf-8")
    return mine, my_shown, path


# ---- the run lock ------------------------------------------------------------------


@pytest.mark.parametrize("vendor", ["edmo", "invent", "autocalls"])
def test_twenty_concurrent_pairs_of_applies_leave_one_live_assistant_each(
    workspace: Workspace, vendor: str
) -> None:
    # Creates answered slowly, so that the two runs of a pair overlap.
    workspace.sandbox.set_faults(Faults(latency_ms=50, only=create_scope(vendor)), vendor=vendor)
    for n in range(PAIRS):
        name, shown, path = write_pair_document(workspace, vendor, n)
        workspace.sandbox.reset_rate_limits()  # Invent allows 10 creates an hour
        # Every other pair waits for the lock instead of failing at once.
        wait = ("--lock-timeout", "5m") if n % 2 else ()
        pair = [start(workspace, "apply", "--auto-approve", "--target", name, *wait)]
        pair.append(start(workspace, "apply", "--auto-approve", "--target", name, *wait))
        results = [(p.wait(timeout=GUARD_S), *p.communicate()) for p in pair]
        for code, out, err in results:
            assert "Traceback" not in out + err, err
            assert code == 0 or (not wait and "another run holds the run lock" in err), out + err
        assert any(code == 0 for code, _, _ in results), results
        [live] = live_named(workspace, vendor, shown)
        written = yaml.safe_load(path.read_text(encoding="utf-8"))["id"]
        assert str(written) == str(live["id"])
    assert creates(workspace, vendor) == PAIRS
    workspace.sandbox.set_faults(Faults(), vendor=vendor)
    targets = [part for n in range(PAIRS) for part in ("--target", f"{NEW[vendor][1]}-{n}")]
    assert voiceops(workspace, "plan", "--detailed-exitcode", *targets).returncode == 0


def test_a_second_run_is_refused_at_once_naming_the_holder(workspace: Workspace) -> None:
    new_document(workspace, "invent")
    holder = {
        "host": "build-7",
        "pid": 4242,
        "command": "voiceops apply",
        "started": "2026-01-02T03:04:05+00:00",
    }
    (workspace.root / ".voiceops").mkdir()
    (workspace.root / LOCK).write_text(json.dumps(holder), encoding="utf-8")
    workspace.sandbox.clear_requests()

    refused = voiceops(workspace, "apply", "--auto-approve")
    waited = voiceops(
        workspace,
        "import",
        "--provider",
        "invent-support",
        "--all",
        "--force",
        "--lock-timeout",
        "1s",
    )

    assert refused.returncode == 1
    [line] = refused.stderr.splitlines()
    for part in ("build-7", "pid 4242", "'voiceops apply'", "2026-01-02T03:04:05+00:00"):
        assert part in line
    assert waited.returncode == 1
    assert "(waited 1s)" in waited.stderr
    assert workspace.sandbox.requests() == []  # nothing was read or sent
    assert (workspace.root / LOCK).exists()


def test_a_lock_left_by_a_dead_process_is_taken_over_with_a_note(workspace: Workspace) -> None:
    gone = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    holder = {
        "host": socket.gethostname(),
        "pid": int(gone.stdout),
        "command": "voiceops apply",
        "started": "2026-01-02T03:04:05+00:00",
    }
    (workspace.root / ".voiceops").mkdir()
    (workspace.root / LOCK).write_text(json.dumps(holder), encoding="utf-8")

    result = voiceops(workspace, "apply", "--auto-approve")

    assert result.returncode == 0, result.stderr
    pid = gone.stdout.strip()
    taken = f"took over the run lock .voiceops/run.lock left by 'voiceops apply' (pid {pid} "
    assert taken in result.stderr
    assert not (workspace.root / LOCK).exists()  # released at the end


def test_unlock_asks_first_and_force_removes(workspace: Workspace) -> None:
    holder = {"host": "build-7", "pid": 4242, "command": "voiceops apply", "started": "x"}
    (workspace.root / ".voiceops").mkdir()
    (workspace.root / LOCK).write_text(json.dumps(holder), encoding="utf-8")

    no_terminal = voiceops(workspace, "unlock")
    assert no_terminal.returncode == 1
    assert "pass --force" in no_terminal.stderr
    assert (workspace.root / LOCK).exists()

    def on_a_terminal(answer: str) -> Result:
        hooks = RunHooks(is_terminal=lambda _stream: True)
        args = ["unlock", "--config", str(workspace.config)]
        return CliRunner().invoke(main, args, input=answer, obj=hooks, catch_exceptions=False)

    declined = on_a_terminal("n\n")
    assert "Nothing removed" in declined.output
    assert (workspace.root / LOCK).exists()
    accepted = on_a_terminal("y\n")
    assert accepted.exit_code == 0
    assert "pid 4242 on host build-7" in accepted.output
    assert not (workspace.root / LOCK).exists()

    (workspace.root / LOCK).write_text(json.dumps(holder), encoding="utf-8")
    forced = voiceops(workspace, "unlock", "--force")
    assert forced.returncode == 0
    assert not (workspace.root / LOCK).exists()
    assert voiceops(workspace, "unlock").stdout.startswith("No run lock")


def test_the_lock_files_are_ignored_by_git(workspace: Workspace) -> None:
    subprocess.run(["git", "init", "-q"], cwd=workspace.root, check=True)
    assert not (workspace.root / ".gitignore").exists()
    assert voiceops(workspace, "apply", "--auto-approve").returncode == 0
    assert voiceops(workspace, "apply", "--auto-approve").returncode == 0  # added once
    assert (workspace.root / ".gitignore").read_text(encoding="utf-8") == ".voiceops/**/*.lock\n"
    for lock in (LOCK, Path(".voiceops/staging/write-only.json.lock")):
        ignored = subprocess.run(["git", "check-ignore", "-q", str(lock)], cwd=workspace.root)
        assert ignored.returncode == 0, lock
    assert (
        subprocess.run(
            ["git", "check-ignore", "-q", ".voiceops/write-only.json"], cwd=workspace.root
        ).returncode
        == 1
    )


# ---- account identity ----------------------------------------------------------------


def only_documents(ws: Workspace, docs: dict[str, str], **config: object) -> None:
    """The workspace with just these documents, and voiceops.yaml with `config` merged in."""
    data = yaml.safe_load(ws.config.read_text(encoding="utf-8"))
    data.update(config)
    ws.config.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    for path in (ws.root / "assistants").iterdir():
        path.unlink()
    for name, text in docs.items():
        (ws.root / "assistants" / f"{name}.yaml").write_text(text, encoding="utf-8")


def desk(name: str, connection: str = "invent-support", tail: str = "") -> str:
    return (
        "apiVersion: voiceops/v1\nkind: Assistant\n"
        f"metadata: {{name: {name}}}\nprovider: {connection}\n"
        'spec: {name: "Desk FR", enabled: true}\n' + tail
    )


def add_desk(ws: Workspace, assistant_id: str) -> None:
    ws.sandbox.add_assistant(
        "invent",
        {**ws.sandbox.stored("invent", "asst_support"), "id": assistant_id, "name": "Desk FR"},
    )


def test_two_environments_on_one_account_never_share_an_assistant(workspace: Workspace) -> None:
    add_desk(workspace, "asst_stage1")
    staging_only = "environments:\n  staging: {id: asst_stage1}\n  production: {}\n"
    only_documents(
        workspace,
        {"desk": desk("desk", tail=staging_only)},
        environments={"staging": {}, "production": None},
    )

    plan = voiceops(workspace, "plan", "--env", "production", "--format", "json")
    [entry] = json.loads(plan.stdout)["assistants"]
    assert entry["status"] == "create"  # staging's assistant is not adopted
    applied = voiceops(workspace, "apply", "--env", "production", "--auto-approve")
    assert applied.returncode == 0, applied.stderr
    data = yaml.safe_load((workspace.root / "assistants" / "desk.yaml").read_text())
    production_id = data["environments"]["production"]["id"]
    assert production_id != "asst_stage1"
    assert len(live_named(workspace, "invent", "Desk FR")) == 2
    # Nor is it imported into production a second time.
    imported = voiceops(
        workspace,
        "import",
        "--env",
        "production",
        "--provider",
        "invent-support",
        "--id",
        "asst_stage1",
    )
    assert imported.returncode == 1
    assert "already manages 'asst_stage1' on the same account" in imported.stdout
    assert sorted(p.name for p in (workspace.root / "assistants").iterdir()) == ["desk.yaml"]

    # The same id in both environments on one account: refused, both places named.
    twice = "environments:\n  staging: {id: asst_stage1}\n  production: {id: asst_stage1}\n"
    (workspace.root / "assistants" / "desk.yaml").write_text(desk("desk", tail=twice))
    refused = voiceops(workspace, "validate")
    assert refused.returncode == 1
    assert "environment 'staging'" in refused.stderr
    assert "environment 'production'" in refused.stderr
    assert "assistants/desk.yaml:7:" in refused.stderr
    plan = voiceops(workspace, "plan", "--env", "staging")
    assert plan.returncode == 1
    assert "managed twice on one account" in plan.stderr


def test_environments_on_different_accounts_may_name_the_same_id(workspace: Workspace) -> None:
    twice = "environments:\n  staging: {id: asst_support}\n  production: {id: asst_support}\n"
    production = {"providers": {"invent-support": {"token_env": "INVENT_PRODUCTION_KEY"}}}
    only_documents(
        workspace,
        {"desk": desk("desk", tail=twice)},
        environments={"staging": {}, "production": production},
    )
    result = voiceops(workspace, "validate")
    assert result.returncode == 0, result.stderr


def test_a_second_connection_to_one_account_does_not_adopt_what_the_first_manages(
    workspace: Workspace,
) -> None:
    add_desk(workspace, "asst_desk1")
    data = yaml.safe_load(workspace.config.read_text(encoding="utf-8"))
    copy = {**data["providers"]["invent-support"]}  # the same account, by another name
    only_documents(
        workspace,
        {
            "desk": desk("desk", tail="id: asst_desk1\n"),
            "desk-two": desk("desk-two", "invent-copy"),
        },
        providers={**data["providers"], "invent-copy": copy},
    )

    plan = voiceops(workspace, "plan", "--format", "json")
    statuses = {a["name"]: a["status"] for a in json.loads(plan.stdout)["assistants"]}
    assert statuses["desk-two"] == "create", plan.stdout
    result = voiceops(workspace, "apply", "--auto-approve")
    assert result.returncode == 0, result.stderr
    new_id = yaml.safe_load((workspace.root / "assistants" / "desk-two.yaml").read_text())["id"]
    assert new_id != "asst_desk1"

    # The same id through both connections: refused, both places named.
    (workspace.root / "assistants" / "desk-two.yaml").write_text(
        desk("desk-two", "invent-copy", "id: asst_desk1\n")
    )
    refused = voiceops(workspace, "validate")
    assert refused.returncode == 1
    assert "'asst_desk1'" in refused.stderr
    assert "(the same account as 'invent-" in refused.stderr
    assert "assistants/desk.yaml:6:5" in refused.stderr
    assert "assistants/desk-two.yaml:6:5" in refused.stderr


# ---- created ids -------------------------------------------------------------------


def assert_nothing_written(
    ws: Workspace, vendor: str, path: Path, original: str, result: subprocess.CompletedProcess[str]
) -> None:
    """The create is reported uncertain, no id is written, a note is kept, and the next
    apply refuses instead of creating again."""
    assert result.returncode == 1
    assert "uncertain" in result.stdout
    assert "no id was written" in result.stdout
    assert f"check the {vendor.capitalize()} dashboard" in result.stdout
    assert path.read_text(encoding="utf-8") == original
    assert (ws.root / PENDING).exists()
    again = voiceops(ws, "apply", "--auto-approve")
    assert again.returncode == 1
    assert "did not trust its answer" in again.stdout + again.stderr
    assert creates(ws, vendor) == 1


EXISTING = {"invent": ("asst_support", "asst_orphan1"), "autocalls": ("127", "1001")}


@pytest.mark.parametrize("vendor", sorted(EXISTING))
def test_a_create_answered_with_an_unmanaged_existing_id_writes_nothing(
    workspace: Workspace, vendor: str
) -> None:
    seed, other = EXISTING[vendor]
    stored = workspace.sandbox.stored(vendor, seed)
    workspace.sandbox.add_assistant(
        vendor, {**stored, "id": int(other) if other.isdigit() else other}
    )
    path, original = new_document(workspace, vendor)
    workspace.sandbox.script_id(vendor, create_scope(vendor), other)

    result = voiceops(workspace, "apply", "--auto-approve")

    assert "which was listed before the create" in result.stdout
    assert_nothing_written(workspace, vendor, path, original, result)


MISSING = {"edmo": "asst_nothere9", "invent": "asst_nothere9", "autocalls": "99999"}


@pytest.mark.parametrize("vendor", sorted(MISSING))
def test_a_create_answered_with_an_id_that_reads_back_404_writes_nothing(
    workspace: Workspace, vendor: str
) -> None:
    path, original = new_document(workspace, vendor)
    workspace.sandbox.script_id(vendor, create_scope(vendor), MISSING[vendor])

    result = voiceops(workspace, "apply", "--auto-approve")

    assert "the vendor has no assistant of that id" in result.stdout
    assert_nothing_written(workspace, vendor, path, original, result)


def secret_code_document(ws: Workspace) -> tuple[Path, str]:
    connection, name, spec, _ = NEW["edmo"]
    spec = spec.replace("Bonjour !", "'Bonjour, code ${env:TUTOR_CODE}'")
    text = (
        "apiVersion: voiceops/v1\nkind: Assistant\n"
        f"metadata:\n  name: {name}\nprovider: {connection}\nspec:\n{spec}"
    )
    path = ws.root / "assistants" / f"{name}.yaml"
    path.write_text(text, encoding="utf-8")
    return path, text


@pytest.mark.parametrize(
    ("vendor", "secret"),
    [
        ("invent", "INVENT_API_KEY"),
        ("autocalls", "AUTOCALLS_TOKEN"),
        ("edmo", "EDMO_PASSWORD"),
        ("edmo", "TUTOR_CODE"),
    ],
)
def test_a_create_answered_with_a_secret_as_id_writes_it_nowhere(
    workspace: Workspace, vendor: str, secret: str
) -> None:
    workspace.env["TUTOR_CODE"] = "asst_c0de7741"  # an `${env:}` value of an id's form
    if secret == "TUTOR_CODE":
        path, original = secret_code_document(workspace)
    else:
        path, original = new_document(workspace, vendor)
    value = workspace.env[secret]
    workspace.sandbox.script_id(vendor, create_scope(vendor), value)

    result = voiceops(workspace, "apply", "--auto-approve")

    assert_nothing_written(workspace, vendor, path, original, result)
    written = [p.read_text(encoding="utf-8") for p in (workspace.root / "assistants").iterdir()]
    written.append((workspace.root / PENDING).read_text(encoding="utf-8"))
    written += [result.stdout, result.stderr]
    for form in encodings(value):
        assert not any(form in text for text in written), form


# ---- import keeps references -----------------------------------------------------------


def test_import_keeps_env_references_in_place(workspace: Workspace) -> None:
    token = "tok_9f8e7d6c5b4a"
    path = workspace.spec_file("enrollment-assistant")
    template = "Book at https://hooks.example.com/in?token=${env:EDMO_URLTOKEN}"
    workspace.edit_spec("enrollment-assistant", firstMessage=template)
    original = path.read_text(encoding="utf-8")
    env = {"EDMO_URLTOKEN": token}
    # Live as the document says, the template filled with today's value.
    assert voiceops(workspace, "apply", "--auto-approve", env=env).returncode == 0

    same = voiceops(
        workspace, "import", "--provider", "edmo-main", "--id", "asst_123", "--force", env=env
    )
    assert same.returncode == 0, same.stderr
    assert path.read_text(encoding="utf-8") == original  # the template fills to the live value

    live = f"Book now at https://hooks.example.com/v2?token={token}"
    workspace.sandbox.edit("edmo", "asst_123", {"firstMessage": live})
    changed = voiceops(
        workspace, "import", "--provider", "edmo-main", "--id", "asst_123", "--force", env=env
    )
    assert changed.returncode == 0, changed.stderr
    text = path.read_text(encoding="utf-8")
    assert "Book now at https://hooks.example.com/v2?token=${env:EDMO_URLTOKEN}" in text
    assert all(form not in text + changed.stdout for form in encodings(token))
    assert voiceops(workspace, "plan", "--detailed-exitcode", env=env).returncode == 0


def test_import_through_a_second_connection_sees_what_the_first_imported(
    workspace: Workspace,
) -> None:
    data = yaml.safe_load(workspace.config.read_text(encoding="utf-8"))
    same = {**data["providers"]["autocalls-sales"]}  # one account, two connection names
    providers = {**data["providers"], "ac-a": same, "ac-b": {**same}}
    only_documents(workspace, {}, providers=providers)
    first = voiceops(workspace, "import", "--provider", "ac-a", "--id", "128")
    assert first.returncode == 0, first.stderr
    files = sorted(p.name for p in (workspace.root / "assistants").iterdir())
    assert len(files) == 1

    second = voiceops(workspace, "import", "--provider", "ac-b", "--id", "128")
    assert second.returncode == 1
    assert "already manages '128' on the same account" in second.stdout
    assert sorted(p.name for p in (workspace.root / "assistants").iterdir()) == files
    assert voiceops(workspace, "validate").returncode == 0


def break_sales_outreach(ws: Workspace) -> str:
    """sales-outreach with a token in a reference, and a key the current set refuses."""
    ws.edit_spec(
        "sales-outreach",
        webhook_url="https://hooks.example.com/in?token=${env:AC_URLTOKEN}",
        record_call=True,
    )
    return ws.spec_file("sales-outreach").read_text(encoding="utf-8")


def test_import_refuses_to_overwrite_a_document_that_does_not_validate(
    workspace: Workspace,
) -> None:
    token = "tok_5e4d3c2b1a09"
    url = f"https://hooks.example.com/in?token={token}"
    workspace.sandbox.edit("autocalls", "127", {"webhook_url": url})
    original = break_sales_outreach(workspace)
    files = sorted(p.name for p in (workspace.root / "assistants").iterdir())
    env = {"AC_URLTOKEN": token}

    done = voiceops(
        workspace, "import", "--provider", "autocalls-sales", "--id", "127", "--force", env=env
    )

    assert done.returncode == 1
    [line] = done.stderr.splitlines()
    assert line.startswith("assistants/sales-outreach.yaml:")
    assert "names '127' but does not validate" in line
    assert line.endswith("fix it first: voiceops validate")
    assert workspace.spec_file("sales-outreach").read_text(encoding="utf-8") == original
    assert sorted(p.name for p in (workspace.root / "assistants").iterdir()) == files
    assert all(form not in done.stdout + done.stderr for form in encodings(token))


def test_import_keeps_the_references_and_names_of_documents_that_do_not_validate(
    workspace: Workspace,
) -> None:
    token = "tok_0a1b2c3d4e5f"
    sb = workspace.sandbox
    url = f"https://hooks.example.com/in?token={token}"
    sb.add_assistant("autocalls", {**sb.stored("autocalls", "127"), "id": 1001, "webhook_url": url})
    original = break_sales_outreach(workspace)

    done = voiceops(
        workspace,
        "import",
        "--provider",
        "autocalls-sales",
        "--id",
        "1001",
        "--force",
        env={"AC_URLTOKEN": token},
    )

    assert done.returncode == 0, done.stderr
    assert workspace.spec_file("sales-outreach").read_text(encoding="utf-8") == original
    written = workspace.root / "assistants" / "sales-outreach-2.yaml"
    text = written.read_text(encoding="utf-8")
    assert "webhook_url: https://hooks.example.com/in?token=${env:AC_URLTOKEN}" in text
    assert all(form not in text + done.stdout for form in encodings(token))
