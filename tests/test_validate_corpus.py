"""`voiceops validate` on a corpus of bad inputs: each is reported at the exact place, with a
message that says what to do, and never as a traceback.

Every case under tests/corpus/ is one small file (or, under cross/, a directory of files)
with one problem. Files under config/ are used as voiceops.yaml; all others are copied into
the assistants/ directory of a workspace whose voiceops.yaml is the example one.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import NamedTuple

import pytest
from click.testing import CliRunner, Result

from voiceops.cli import main

ROOT = Path(__file__).resolve().parent.parent
CORPUS = Path(__file__).resolve().parent / "corpus"
EXAMPLE_CONFIG = ROOT / "voiceops.yaml"


class Case(NamedTuple):
    name: str  # path under tests/corpus
    path: str  # the file the diagnostic names
    line: int
    col: int
    says: str  # a stable part of the message


def A(file: str) -> str:
    return f"assistants/{file}"


CASES = [
    # YAML syntax
    Case("yaml/unclosed-bracket.yaml", A("unclosed-bracket.yaml"), 10, 17, "is a ] missing?"),
    Case("yaml/unclosed-brace.yaml", A("unclosed-brace.yaml"), 10, 3, "is a } missing?"),
    Case("yaml/unclosed-quote.yaml", A("unclosed-quote.yaml"), 11, 1, "closing quote missing"),
    Case(
        "yaml/half-character-escape.yaml",
        A("half-character-escape.yaml"),
        8,
        17,
        "is half a character: write the character itself",
    ),
    Case(
        "yaml/over-indented-key.yaml", A("over-indented-key.yaml"), 10, 15, "check the indentation"
    ),
    Case(
        "yaml/under-indented-key.yaml",
        A("under-indented-key.yaml"),
        9,
        3,
        "check the indentation of this line",
    ),
    Case("yaml/tab-indentation.yaml", A("tab-indentation.yaml"), 9, 1, "with spaces, not tabs"),
    Case(
        "yaml/tab-after-indentation.yaml",
        A("tab-after-indentation.yaml"),
        10,
        1,
        "with spaces, not tabs",
    ),
    Case(
        "yaml/incompatible-version.yaml",
        A("incompatible-version.yaml"),
        1,
        1,
        "remove the %YAML line",
    ),
    Case(
        "yaml/line-separator-in-comment.yaml",
        A("line-separator-in-comment.yaml"),
        7,
        19,
        "character U+2028 is a line break in YAML that most editors do not show",
    ),
    Case(
        "yaml/next-line-in-plain-scalar.yaml",
        A("next-line-in-plain-scalar.yaml"),
        9,
        24,
        "character U+0085 is a line break in YAML that most editors do not show",
    ),
    Case(
        "yaml/control-character.yaml",
        A("control-character.yaml"),
        9,
        24,
        "character U+0007 is not allowed",
    ),
    Case("yaml/not-utf8.yaml", A("not-utf8.yaml"), 9, 35, "byte 0xe9 is not valid UTF-8"),
    # loader rules: duplicates, aliases, merge keys, nesting
    Case(
        "yaml/duplicate-top-level-key.yaml",
        A("duplicate-top-level-key.yaml"),
        3,
        1,
        "duplicate key 'kind' (first defined on line 2)",
    ),
    Case(
        "yaml/duplicate-nested-key.yaml",
        A("duplicate-nested-key.yaml"),
        11,
        3,
        "duplicate key 'welcomeMessage' (first defined on line 9)",
    ),
    Case("yaml/alias-bomb.yaml", A("alias-bomb.yaml"), 12, 14, "*a is a YAML alias"),
    Case("yaml/simple-alias.yaml", A("simple-alias.yaml"), 9, 19, "write the value out in full"),
    Case("yaml/undefined-alias.yaml", A("undefined-alias.yaml"), 9, 19, "aliases (&name, *name)"),
    Case("yaml/merge-key.yaml", A("merge-key.yaml"), 10, 5, "merge keys (<<) are not allowed"),
    Case("yaml/deep-nesting.yaml", A("deep-nesting.yaml"), 11, 70, "nested more than 64 levels"),
    Case("yaml/complex-key.yaml", A("complex-key.yaml"), 10, 7, "key must be a plain string"),
    Case("yaml/number-key.yaml", A("number-key.yaml"), 10, 5, 'quote it ("2024")'),
    # YAML 1.1 surprises
    Case(
        "yaml/boolean-key-on.yaml",
        A("boolean-key-on.yaml"),
        6,
        5,
        'YAML 1.1 reads on as true; quote it ("on")',
    ),
    Case(
        "yaml/boolean-key-no.yaml",
        A("boolean-key-no.yaml"),
        11,
        5,
        'YAML 1.1 reads no as false; quote it ("no")',
    ),
    Case(
        "yaml/norway-value-enum.yaml",
        A("norway-value-enum.yaml"),
        9,
        23,
        'read the unquoted no as false: write "no" in quotes',
    ),
    Case(
        "yaml/yes-in-string-field.yaml",
        A("yes-in-string-field.yaml"),
        9,
        19,
        'read the unquoted yes as true: write "yes" in quotes',
    ),
    Case(
        "yaml/country-code-no.yaml",
        A("country-code-no.yaml"),
        10,
        15,
        "spec.config.language must be a string, not a boolean (false); YAML 1.1 read the "
        'unquoted NO as false: write "NO" in quotes',
    ),
    Case("yaml/on-in-list.yaml", A("on-in-list.yaml"), 11, 7, 'write "on" in quotes'),
    Case(
        "yaml/sexagesimal-in-string.yaml",
        A("sexagesimal-in-string.yaml"),
        11,
        7,
        'read the unquoted 9:30 as 570: write "9:30" in quotes',
    ),
    Case(
        "yaml/octal-in-string.yaml",
        A("octal-in-string.yaml"),
        13,
        18,
        'read the unquoted 0755 as 493: write "0755" in quotes',
    ),
    # files and documents that are not assistant documents
    Case("yaml/empty.yaml", A("empty.yaml"), 1, 1, "file is empty; expected at least one"),
    Case("yaml/only-comments.yaml", A("only-comments.yaml"), 1, 1, "file holds only comments"),
    Case("yaml/list-document.yaml", A("list-document.yaml"), 1, 1, "must be a mapping"),
    Case("yaml/scalar-document.yaml", A("scalar-document.yaml"), 1, 1, "not a single value"),
    Case("yaml/null-document.yaml", A("null-document.yaml"), 10, 1, "not an empty document"),
    Case(
        "yaml/second-document.yaml",
        A("second-document.yaml"),
        18,
        17,
        "spec.max_duration is 5, but it must be between 20 and 1200",
    ),
    # the envelope
    Case(
        "envelope/missing-spec.yaml",
        A("missing-spec.yaml"),
        1,
        1,
        "the document is missing the required field spec",
    ),
    Case(
        "envelope/missing-provider.yaml",
        A("missing-provider.yaml"),
        1,
        1,
        "the document is missing the required field provider",
    ),
    Case(
        "envelope/missing-name.yaml",
        A("missing-name.yaml"),
        3,
        1,
        "metadata is missing the required field name",
    ),
    Case(
        "envelope/wrong-api-version.yaml",
        A("wrong-api-version.yaml"),
        1,
        13,
        'apiVersion must be "voiceops/v1", not "voiceops/v1beta1"',
    ),
    Case("envelope/wrong-kind.yaml", A("wrong-kind.yaml"), 2, 7, 'kind must be "Assistant"'),
    Case(
        "envelope/bad-name.yaml",
        A("bad-name.yaml"),
        4,
        9,
        "must use only lowercase letters, digits and hyphens, start and end with a letter or "
        "digit, and be at most 63 characters long",
    ),
    Case("envelope/name-too-long.yaml", A("name-too-long.yaml"), 4, 9, "at most 63 characters"),
    Case(
        "envelope/name-trailing-newline.yaml",
        A("name-trailing-newline.yaml"),
        4,
        9,
        'metadata.name is "clinic-intake\\n"; it must use only lowercase letters',
    ),
    Case(
        "edmo/id-trailing-newline.yaml",
        A("id-trailing-newline.yaml"),
        6,
        5,
        "id 'asst_123\\n' is not valid here: an Edmo assistant id is letters",
    ),
    Case(
        "envelope/unknown-top-level-field.yaml",
        A("unknown-top-level-field.yaml"),
        5,
        1,
        "unknown field 'labels'; the fields allowed here are apiVersion, kind, metadata",
    ),
    Case(
        "envelope/unknown-metadata-field.yaml",
        A("unknown-metadata-field.yaml"),
        5,
        3,
        "unknown field 'lables' in metadata; did you mean 'labels'?",
    ),
    Case(
        "envelope/label-not-string.yaml",
        A("label-not-string.yaml"),
        6,
        11,
        'metadata.labels.tier must be a string, not an integer (2); put it in quotes ("2")',
    ),
    Case("envelope/empty-id.yaml", A("empty-id.yaml"), 6, 5, "non-empty string or a positive"),
    Case("envelope/zero-id.yaml", A("zero-id.yaml"), 6, 5, "non-empty string or a positive"),
    Case(
        "envelope/spec-not-mapping.yaml",
        A("spec-not-mapping.yaml"),
        7,
        7,
        'spec must be a mapping, not a string ("Clinic Intake")',
    ),
    Case(
        "envelope/spec-list.yaml", A("spec-list.yaml"), 8, 3, "spec must be a mapping, not a list"
    ),
    # interactly
    Case(
        "interactly/max-call-duration-900.yaml",
        A("max-call-duration-900.yaml"),
        9,
        20,
        "spec.maxCallDuration is 900, but it must be between 1 and 120. The vendor's page "
        "gives 900 as an example value, but it defines this field in minutes",
    ),
    Case(
        "interactly/volume-out-of-range.yaml",
        A("volume-out-of-range.yaml"),
        9,
        26,
        "spec.backgroundSoundVolume is 0, but it must be between 1 and 100",
    ),
    Case(
        "interactly/idle-timeout-quoted.yaml",
        A("idle-timeout-quoted.yaml"),
        9,
        16,
        'spec.idleTimeout must be an integer, not a string ("30"); remove the quotes',
    ),
    Case(
        "interactly/idle-messages-float.yaml",
        A("idle-messages-float.yaml"),
        9,
        30,
        "must be an integer, not a number (2.5)",
    ),
    Case(
        "interactly/unknown-field-typo.yaml",
        A("unknown-field-typo.yaml"),
        9,
        3,
        "unknown field 'welcomeMesage' in spec; did you mean 'welcomeMessage'?",
    ),
    Case(
        "interactly/unknown-nested-field.yaml",
        A("unknown-nested-field.yaml"),
        13,
        9,
        "unknown field 'language' in spec.config.speech.stt; did you mean 'languages'?",
    ),
    Case(
        "interactly/end-call-without-tool.yaml",
        A("end-call-without-tool.yaml"),
        10,
        5,
        "endCallPhrases is only allowed when the spec sets assistantPredefinedTools.endCall",
    ),
    Case(
        "interactly/end-call-tool-false.yaml",
        A("end-call-tool-false.yaml"),
        11,
        19,
        "endCallMessage is only allowed when",
    ),
    Case(
        "interactly/knowledge-base-without-tool.yaml",
        A("knowledge-base-without-tool.yaml"),
        10,
        5,
        "only allowed when the spec sets assistantPredefinedTools.knowledgeBase to true",
    ),
    Case(
        "interactly/llm-url-without-custom.yaml",
        A("llm-url-without-custom.yaml"),
        10,
        20,
        "assistantLLMUrl is only allowed when the spec sets assistantProvider to custom-llm",
    ),
    Case(
        "interactly/welcome-mode-enum.yaml",
        A("welcome-mode-enum.yaml"),
        9,
        23,
        'which is not one of "assistant-speaks-first", "assistant-waits-for-user", "automatic"; '
        'did you mean "assistant-speaks-first"?',
    ),
    Case(
        "interactly/provider-enum.yaml",
        A("provider-enum.yaml"),
        9,
        22,
        'spec.assistantProvider is "anthropic", which is not one of "openai"',
    ),
    Case(
        "interactly/model-for-provider.yaml",
        A("model-for-provider.yaml"),
        10,
        19,
        "assistantModel for assistantProvider openai must be one of",
    ),
    Case(
        "interactly/background-sound-http.yaml",
        A("background-sound-http.yaml"),
        9,
        20,
        "enable, disable, or an https:// URL",
    ),
    Case(
        "interactly/server-message-enum.yaml",
        A("server-message-enum.yaml"),
        12,
        9,
        'spec.assistantServer.messages[1] is "call-ended", which is not one of',
    ),
    Case(
        "interactly/server-url-pattern.yaml",
        A("server-url-pattern.yaml"),
        10,
        10,
        "must start with https:// or http://, or be an ${env:NAME} reference",
    ),
    Case(
        "interactly/server-timeout-zero.yaml",
        A("server-timeout-zero.yaml"),
        10,
        21,
        "timeoutSeconds is 0, but it must be greater than 0",
    ),
    Case(
        "interactly/header-not-string.yaml",
        A("header-not-string.yaml"),
        11,
        18,
        "spec.assistantServer.headers.X-Retries must be a string",
    ),
    Case(
        "interactly/call-forward-item.yaml",
        A("call-forward-item.yaml"),
        10,
        5,
        "callForwardData must be one object with phoneNumber",
    ),
    Case(
        "interactly/malformed-env-unclosed.yaml",
        A("malformed-env-unclosed.yaml"),
        10,
        13,
        "environment reference '${env:CLINIC_SECRET' is missing its closing }",
    ),
    Case(
        "interactly/malformed-env-name.yaml",
        A("malformed-env-name.yaml"),
        9,
        19,
        "'${env:1ST_NAME}': write ${env:NAME}, where NAME is letters, digits and _",
    ),
    Case(
        "interactly/malformed-env-in-url.yaml",
        A("malformed-env-in-url.yaml"),
        10,
        10,
        "malformed environment reference '${ENV:HOOK_URL}'",
    ),
    # edmo
    Case(
        "edmo/model-provider-enum.yaml",
        A("model-provider-enum.yaml"),
        10,
        15,
        'spec.model.provider is "google", which is not one of "openai", "anthropic"',
    ),
    Case(
        "edmo/temperature-out-of-range.yaml",
        A("temperature-out-of-range.yaml"),
        12,
        18,
        "spec.model.temperature is 2.5, but it must be between 0 and 2",
    ),
    Case(
        "edmo/first-message-mode-enum.yaml",
        A("first-message-mode-enum.yaml"),
        9,
        21,
        'spec.firstMessageMode is "model-speaks-first", which is not one of',
    ),
    Case(
        "edmo/voice-provider-enum.yaml",
        A("voice-provider-enum.yaml"),
        10,
        15,
        'is "elevenlabs", which is not one of "11labs"',
    ),
    Case(
        "edmo/max-duration-float.yaml",
        A("max-duration-float.yaml"),
        9,
        23,
        "spec.maxDurationSeconds must be an integer or null, not a number (90.5)",
    ),
    Case(
        "edmo/end-call-phrases-string.yaml",
        A("end-call-phrases-string.yaml"),
        9,
        19,
        "spec.endCallPhrases must be a list or null",
    ),
    # invent
    Case("invent/empty-name.yaml", A("empty-name.yaml"), 8, 9, "spec.name must not be empty"),
    Case(
        "invent/enabled-quoted.yaml",
        A("enabled-quoted.yaml"),
        9,
        12,
        'spec.enabled must be true or false, not a string ("true"); remove the quotes',
    ),
    Case(
        "invent/read-only-field.yaml",
        A("read-only-field.yaml"),
        11,
        7,
        "unknown field 'enable_update_contact_tool' in spec.config.conversation",
    ),
    Case(
        "invent/secret-key.yaml",
        A("secret-key.yaml"),
        9,
        3,
        "unknown field 'secret_key' in spec; the fields allowed here are name, enabled",
    ),
    # autocalls
    Case(
        "autocalls/post-call-schema-name.yaml",
        A("post-call-schema-name.yaml"),
        10,
        13,
        'spec.post_call_schema[0].name is "team size"; it must be 3 to 16 lowercase letters, '
        "digits and underscores",
    ),
    Case(
        "autocalls/post-call-schema-type.yaml",
        A("post-call-schema-type.yaml"),
        11,
        13,
        'spec.post_call_schema[0].type is "boolean", which is not one of "string", "number", '
        '"bool"; did you mean "bool"?',
    ),
    Case(
        "autocalls/post-call-schema-missing-type.yaml",
        A("post-call-schema-missing-type.yaml"),
        13,
        7,
        "spec.post_call_schema[1] is missing the required field type",
    ),
    Case(
        "autocalls/post-call-schema-extra-field.yaml",
        A("post-call-schema-extra-field.yaml"),
        13,
        7,
        "unknown field 'required' in spec.post_call_schema[0]; the fields allowed here are "
        "name, type, description",
    ),
    Case(
        "autocalls/post-call-schema-not-list.yaml",
        A("post-call-schema-not-list.yaml"),
        10,
        5,
        "spec.post_call_schema must be a list, not a mapping",
    ),
    Case(
        "autocalls/type-enum.yaml",
        A("type-enum.yaml"),
        9,
        9,
        'spec.type is "receive", which is not one of "inbound", "outbound"',
    ),
    Case(
        "autocalls/ambient-sound-enum.yaml",
        A("ambient-sound-enum.yaml"),
        9,
        18,
        'which is not one of "off", "office", "city"',
    ),
    Case(
        "autocalls/max-duration-range.yaml",
        A("max-duration-range.yaml"),
        9,
        17,
        "spec.max_duration is 10, but it must be between 20 and 1200",
    ),
    Case(
        "autocalls/voice-id-quoted.yaml",
        A("voice-id-quoted.yaml"),
        9,
        13,
        'spec.voice_id must be an integer, not a string ("12"); remove the quotes',
    ),
    Case(
        "autocalls/speech-speed-range.yaml",
        A("speech-speed-range.yaml"),
        9,
        17,
        "spec.speech_speed is 1.5, but it must be between 0.7 and 1.2",
    ),
    Case(
        "autocalls/webhook-url-no-host.yaml",
        A("webhook-url-no-host.yaml"),
        9,
        16,
        "webhook_url must be an http:// or https:// URL with a host",
    ),
    Case(
        "autocalls/name-too-long.yaml",
        A("name-too-long.yaml"),
        8,
        9,
        "spec.name is 256 characters long; the limit is 255",
    ),
    Case(
        "autocalls/legacy-name.yaml",
        A("legacy-name.yaml"),
        8,
        3,
        "'assistant_name' is the legacy name of 'name'; write 'name', or set fields: legacy "
        "on connection 'autocalls-sales'",
    ),
    Case(
        "autocalls/type-mismatch-enum.yaml",
        A("type-mismatch-enum.yaml"),
        9,
        18,
        'spec.endpoint_type must be one of "vad", "ai", not an integer (1)',
    ),
    # across documents, and against voiceops.yaml
    Case(
        "cross/duplicate-name",
        A("b.yaml"),
        4,
        9,
        "duplicate assistant name 'case'; also defined at assistants/a.yaml:4:9",
    ),
    Case(
        "cross/duplicate-provider-id",
        A("b.yaml"),
        6,
        5,
        "on connection 'interactly-prod' is already managed by 'case' (assistants/a.yaml:6:5)",
    ),
    Case(
        "cross/unknown-connection.yaml",
        A("unknown-connection.yaml"),
        5,
        11,
        "unknown connection 'interactly-prd'; did you mean 'interactly-prod'?",
    ),
    Case(
        "cross/unknown-connection-far.yaml",
        A("unknown-connection-far.yaml"),
        5,
        11,
        "unknown connection 'vapi-main' (voiceops.yaml defines autocalls-sales, edmo-main",
    ),
    Case(
        "cross/type-mismatch.yaml",
        A("type-mismatch.yaml"),
        5,
        11,
        "connection 'interactly-prod' is of type interactly, but this spec uses edmo fields; "
        "point provider at a connection of type edmo, such as 'edmo-main'",
    ),
    # voiceops.yaml
    Case(
        "config/unknown-type.yaml",
        "voiceops.yaml",
        3,
        11,
        "connection 'main' has unknown type 'vapi'; use one of: interactly, edmo, invent, "
        "autocalls",
    ),
    Case(
        "config/type-typo.yaml",
        "voiceops.yaml",
        3,
        11,
        "unknown type 'interactlly' (did you mean 'interactly'?)",
    ),
    Case(
        "config/missing-type.yaml",
        "voiceops.yaml",
        2,
        3,
        "providers.interactly-prod is missing the required field type",
    ),
    Case(
        "config/missing-token-env.yaml",
        "voiceops.yaml",
        2,
        3,
        "providers.interactly-prod is missing the required field token_env",
    ),
    Case(
        "config/missing-edmo-password.yaml",
        "voiceops.yaml",
        2,
        3,
        "providers.edmo-main is missing the required field password_env",
    ),
    Case(
        "config/bad-token-env.yaml",
        "voiceops.yaml",
        4,
        16,
        'token_env is "interactly-key"; it must be an environment variable name',
    ),
    Case(
        "config/token-not-env-name.yaml",
        "voiceops.yaml",
        4,
        5,
        "unknown field 'token' in providers.interactly-prod; did you mean 'token_env'?",
    ),
    Case(
        "config/providers-list.yaml",
        "voiceops.yaml",
        2,
        3,
        "providers must be a mapping, not a list",
    ),
    Case(
        "config/connection-name.yaml",
        "voiceops.yaml",
        2,
        3,
        "'Interactly_Prod' is not a valid name under providers; it must use only lowercase",
    ),
    Case(
        "config/unknown-top-level.yaml",
        "voiceops.yaml",
        1,
        1,
        "unknown field 'assistant'; did you mean 'assistants'?",
    ),
    Case(
        "config/lenient-quoted.yaml",
        "voiceops.yaml",
        1,
        10,
        'lenient must be true or false, not a string ("yes")',
    ),
    Case(
        "config/concurrency-zero.yaml",
        "voiceops.yaml",
        1,
        14,
        "concurrency is 0, but it must be at least 1",
    ),
    Case(
        "config/duplicate-connection.yaml",
        "voiceops.yaml",
        5,
        3,
        "duplicate key 'interactly-prod' (first defined on line 2)",
    ),
    Case(
        "config/environment-name-too-long.yaml",
        "voiceops.yaml",
        6,
        3,
        "is not a valid name under environments; it must use only lowercase letters, digits "
        "and hyphens, start with a letter or digit, and be at most 63 characters long",
    ),
    Case("config/syntax.yaml", "voiceops.yaml", 3, 1, "is a } missing?"),
    Case("config/empty.yaml", "voiceops.yaml", 1, 1, "voiceops.yaml is empty"),
    Case("config/list.yaml", "voiceops.yaml", 1, 1, "voiceops.yaml must be a mapping"),
]


def workspace(root: Path, case: str) -> Path:
    """A directory with voiceops.yaml and assistants/ holding the corpus case."""
    source = CORPUS / case
    (root / "assistants").mkdir()
    if case.startswith("config/"):
        shutil.copy(source, root / "voiceops.yaml")
    else:
        shutil.copy(EXAMPLE_CONFIG, root / "voiceops.yaml")
        files = sorted(source.iterdir()) if source.is_dir() else [source]
        for file in files:
            shutil.copy(file, root / "assistants" / file.name)
    return root


def run_validate(*args: str, env: dict[str, str | None] | None = None) -> Result:
    environment: dict[str, str | None] = {"GITHUB_ACTIONS": None}
    environment.update(env or {})
    return CliRunner().invoke(main, ["validate", *args], env=environment)


def assert_user_error(result: Result) -> None:
    """Exit code 1 from a reported problem, not from a crash."""
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output


def test_the_corpus_has_a_case_for_every_file_and_at_least_40() -> None:
    on_disk = {
        str(p.relative_to(CORPUS))
        for p in CORPUS.glob("*/*")
        if p.is_file() or p.parent.name == "cross"
    }
    assert on_disk == {c.name for c in CASES}
    assert len(CASES) >= 40


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_bad_input_is_reported_at_its_place(
    case: Case, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(workspace(tmp_path, case.name))
    result = run_validate()
    assert_user_error(result)
    lines = [line for line in result.stderr.splitlines() if line.startswith(case.path + ":")]
    assert len(lines) == 1, result.stderr
    where, message = lines[0].split(": ", 1)
    assert where == f"{case.path}:{case.line}:{case.col}"
    assert case.says in message
    assert "1 error," in result.stderr  # one problem, reported once


def test_a_5_mb_file_is_refused_without_being_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = workspace(tmp_path, "yaml/empty.yaml")
    huge = root / "assistants" / "empty.yaml"
    # Valid YAML that would take a long time to parse.
    huge.write_text("- [1, 2, 3]\n" * 440_000)
    assert huge.stat().st_size > 5_000_000
    read_bytes = Path.read_bytes

    def guarded(path: Path) -> bytes:
        assert path.name != huge.name, "the oversized file was read"
        return read_bytes(path)

    monkeypatch.setattr(Path, "read_bytes", guarded)
    monkeypatch.chdir(root)
    result = run_validate()
    assert_user_error(result)
    assert result.stderr.splitlines()[0] == (
        "assistants/empty.yaml:1:1: file is 5.0 MiB; voiceops reads spec files of at most "
        "1 MiB, so split it into several files"
    )


def test_brackets_nested_deep_enough_to_crash_the_c_parser_are_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = workspace(tmp_path, "yaml/empty.yaml")
    (root / "assistants" / "empty.yaml").write_text("spec: " + "[" * 300_000 + "]" * 300_000)
    monkeypatch.chdir(root)
    result = run_validate()
    assert_user_error(result)
    assert "assistants/empty.yaml:1:70: values are nested more than 64 levels deep" in (
        result.stderr
    )


def test_missing_voiceops_yaml_is_one_plain_sentence(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = run_validate()
    assert_user_error(result)
    first = result.stderr.splitlines()[0]
    assert first == (
        f"error: no voiceops.yaml in {tmp_path.resolve()} or any parent directory; "
        "run voiceops init to create one, or pass --config"
    )


def test_a_config_path_that_does_not_exist(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = run_validate("--config", "nowhere/voiceops.yaml")
    assert_user_error(result)
    assert "nowhere/voiceops.yaml does not exist" in result.stderr


def test_a_missing_assistants_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    shutil.copy(EXAMPLE_CONFIG, tmp_path / "voiceops.yaml")
    monkeypatch.chdir(tmp_path)
    result = run_validate()
    assert_user_error(result)
    assert result.stderr.splitlines()[0] == (
        "error: the assistants directory assistants named in voiceops.yaml does not exist"
    )
