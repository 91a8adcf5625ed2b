"""`voiceops render`: the effective documents of one environment, offline."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from tests.leaks import encodings
from voiceops.cli import main

CONFIG = """\
assistants: assistants/
providers:
  edmo-main: {type: edmo, email_env: EDMO_EMAIL, password_env: EDMO_PASSWORD}
environments:
  staging:
    providers:
      edmo-main: {email_env: EDMO_STAGING_EMAIL, password_env: EDMO_STAGING_PASSWORD}
  production: {}
"""

TUTOR = """\
apiVersion: voiceops/v1
kind: Assistant
metadata: {name: tutor}
provider: edmo-main
spec:
  name: Tutor
  firstMessage: Hello!   # the same in both
  metadata: {webhook: "https://hooks.example.com/prod", token: "${env:HOOK_TOKEN}"}
environments:
  staging:
    id: "asst_s1"
    spec: {metadata: {webhook: "https://hooks.example.com/staging"}}
  production:
    id: "asst_p1"
---
apiVersion: voiceops/v1
kind: Assistant
metadata: {name: old-line}
provider: edmo-main
spec: {name: Old line}
environments:
  staging: false
  production: {id: "asst_p2", ensure: absent}
"""

LATER = """\
apiVersion: voiceops/v1
kind: Assistant
metadata: {name: zeta}
provider: edmo-main
spec: {name: Zeta, firstMessage: Hi, model: {provider: openai, model: gpt-4o}}
"""

SECRET = "hook-token-value-7f3a"


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "voiceops.yaml").write_text(CONFIG, encoding="utf-8")
    (tmp_path / "assistants").mkdir()
    (tmp_path / "assistants" / "a.yaml").write_text(TUTOR, encoding="utf-8")
    (tmp_path / "assistants" / "b.yaml").write_text(LATER, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def render(*args: str, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(main, ["render", *args], env=env)


def test_staging_merges_the_patch_and_omits_the_left_out_document(repo: Path) -> None:
    result = render("--env", "staging")
    assert result.exit_code == 0, result.output
    assert result.stdout == (
        "apiVersion: voiceops/v1\n"
        "kind: Assistant\n"
        "metadata:\n"
        "  name: tutor\n"
        "provider: edmo-main\n"
        'id: "asst_s1"\n'
        "spec:\n"
        "  name: Tutor\n"
        "  firstMessage: Hello!\n"
        "  metadata:\n"
        "    webhook: https://hooks.example.com/staging\n"
        "    token: ${env:HOOK_TOKEN}\n"
        "---\n"
        "apiVersion: voiceops/v1\n"
        "kind: Assistant\n"
        "metadata:\n"
        "  name: zeta\n"
        "provider: edmo-main\n"
        "spec:\n"
        "  name: Zeta\n"
        "  firstMessage: Hi\n"
        "  model:\n"
        "    provider: openai\n"
        "    model: gpt-4o\n"
    )


def test_production_shows_ids_and_a_delete(repo: Path) -> None:
    result = render("--env", "production")
    assert result.exit_code == 0, result.output
    documents = result.stdout.split("---\n")
    assert len(documents) == 3
    assert 'id: "asst_p1"\n' in documents[0]
    assert "webhook: https://hooks.example.com/prod\n" in documents[0]
    assert documents[1] == (
        "apiVersion: voiceops/v1\n"
        "kind: Assistant\n"
        "metadata:\n"
        "  name: old-line\n"
        "provider: edmo-main\n"
        'id: "asst_p2"\n'
        "ensure: absent\n"
        "spec:\n"
        "  name: Old line\n"
    )


def test_target_narrows_the_output(repo: Path) -> None:
    result = render("--env", "production", "--target", "zeta")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("apiVersion: voiceops/v1\n")
    assert "name: zeta" in result.stdout
    assert "tutor" not in result.stdout
    assert "---" not in result.stdout


def test_unknown_target_is_one_sentence_with_did_you_mean(repo: Path) -> None:
    result = render("--env", "staging", "--target", "tutr")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr == "error: no assistant is named 'tutr' (did you mean 'tutor'?)\n"


def test_without_env_says_the_same_sentence_as_plan(repo: Path) -> None:
    result = render()
    planned = CliRunner().invoke(main, ["plan"])
    assert result.exit_code == 1
    assert result.stderr == planned.stderr
    assert "choose one with" in result.stderr


def test_env_from_voiceops_env(repo: Path) -> None:
    assert render(env={"VOICEOPS_ENV": "staging"}).stdout == render("--env", "staging").stdout


def test_no_secret_from_the_environment_appears(repo: Path) -> None:
    secrets = {
        "HOOK_TOKEN": SECRET,
        "EDMO_STAGING_PASSWORD": "staging-password-value-91c2",
        "EDMO_PASSWORD": "prod-password-value-03bd",
    }
    for env in ("staging", "production"):
        result = render("--env", env, env=secrets)
        assert result.exit_code == 0, result.output
        assert "${env:HOOK_TOKEN}" in result.stdout
        for secret in secrets.values():
            for form in encodings(secret):
                assert form not in result.output


def test_without_environments_the_documents_as_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "voiceops.yaml").write_text(
        "assistants: assistants/\nproviders:\n"
        "  edmo-main: {type: edmo, email_env: EDMO_EMAIL, password_env: EDMO_PASSWORD}\n",
        encoding="utf-8",
    )
    (tmp_path / "assistants").mkdir()
    (tmp_path / "assistants" / "b.yaml").write_text(
        LATER.replace("spec:", 'id: "asst_1"\nspec:'), encoding="utf-8"
    )
    monkeypatch.chdir(tmp_path)
    result = render()
    assert result.exit_code == 0, result.output
    assert result.stdout == (
        "apiVersion: voiceops/v1\n"
        "kind: Assistant\n"
        "metadata:\n"
        "  name: zeta\n"
        "provider: edmo-main\n"
        "id: asst_1\n"
        "spec:\n"
        "  name: Zeta\n"
        "  firstMessage: Hi\n"
        "  model:\n"
        "    provider: openai\n"
        "    model: gpt-4o\n"
    )


def test_vendor_text_cannot_reach_the_terminal_as_escapes(repo: Path) -> None:
    path = repo / "assistants" / "b.yaml"
    path.write_text(LATER.replace("Hi,", '"Hi \\e[31mred",'), encoding="utf-8")
    result = render("--env", "production", "--target", "zeta")
    assert result.exit_code == 0, result.output
    assert "\x1b" not in result.stdout
