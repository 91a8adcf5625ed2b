"""A create in an environment writes its id at `environments.<env>.id`, changing nothing
else in the file."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from voiceops.errors import VoiceopsError
from voiceops.spec.writeback import insert_environment_id, write_environment_id
from voiceops.spec.yamlsource import load_file

BASE = "metadata: {name: a}  # keep\nprovider: edmo-main\nspec:\n  name: A\n"


def added(text: str, env: str = "staging", new_id: str | int = "asst_9") -> str:
    return insert_environment_id(text, 0, env, new_id, "a.yaml")


def test_a_new_environments_block_at_the_end() -> None:
    assert added(BASE) == BASE + 'environments:\n  staging:\n    id: "asst_9"\n'


def test_a_new_entry_under_existing_environments() -> None:
    text = BASE + "environments:\n  production:\n    id: p1   # prod\n"
    assert added(text) == text + '  staging:\n    id: "asst_9"\n'


def test_into_the_environments_mapping() -> None:
    text = BASE + "environments:\n  staging:\n    spec: {name: B}\n  production: false\n"
    expected = text.replace("{name: B}\n", '{name: B}\n    id: "asst_9"\n')
    assert added(text) == expected


def test_flow_style_and_crlf_and_other_documents_are_kept() -> None:
    text = (
        "metadata: {name: a}\r\nenvironments: {staging: {}}\r\nspec: {name: A}\r\n---\r\nb: 1\r\n"
    )
    assert added(text) == text.replace("{staging: {}}", '{staging: {id: "asst_9"}}')
    second = BASE + "---\r\n" + BASE
    edited = insert_environment_id(second, 1, "staging", 7, "a.yaml")
    assert edited == second + "environments:\n  staging:\n    id: 7\n"


def test_ids_that_look_like_other_types_stay_strings() -> None:
    for new_id in ("123", "true", "1e3", "null", 'a"b', "é"):
        data = yaml.safe_load(added(BASE, new_id=new_id))
        assert data["environments"]["staging"]["id"] == new_id


def test_refusals() -> None:
    with pytest.raises(VoiceopsError, match="has an id in staging already"):
        added(BASE + "environments:\n  staging: {id: x}\n")
    with pytest.raises(VoiceopsError, match="not a mapping"):
        added(BASE + "environments:\n  staging: false\n")
    with pytest.raises(VoiceopsError, match="empty id"):
        added(BASE, new_id="")


def test_write_environment_id_edits_the_file_atomically(tmp_path: Path) -> None:
    path = tmp_path / "a.yaml"
    path.write_bytes(b"\xef\xbb\xbf" + BASE.encode())
    [doc] = load_file(path, "a.yaml")
    write_environment_id(path, doc, "production", "p2", root=tmp_path)
    assert (
        path.read_bytes()
        == b"\xef\xbb\xbf" + (BASE + 'environments:\n  production:\n    id: "p2"\n').encode()
    )


@pytest.mark.parametrize("empty", ["environments:\n", "environments: ~  # later\n"])
def test_an_empty_environments_key_takes_the_id(empty: str) -> None:
    """`validate` accepts `environments:` with nothing after it, so a create's id must be
    writable there too: refusing it would leave the new assistant without its id."""
    text = added(BASE + empty)
    assert yaml.safe_load(text)["environments"] == {"staging": {"id": "asst_9"}}
    assert text.startswith(BASE)


def test_another_environments_id_written_meanwhile_is_kept() -> None:
    from voiceops.spec.yamlsource import load_documents

    [loaded] = load_documents(BASE, "a.yaml")
    meanwhile = BASE + 'environments:\n  production:\n    id: "p1"\n'
    edited = insert_environment_id(meanwhile, loaded, "staging", "s1", "a.yaml")
    assert edited == meanwhile + '  staging:\n    id: "s1"\n'
    # Any other change since the document was loaded still refuses the write.
    for changed in (
        BASE.replace("name: A", "name: B"),
        meanwhile.replace("production", "staging"),
        BASE + "environments:\n  production:\n    spec: {name: P}\n",
    ):
        with pytest.raises(VoiceopsError, match="changed while"):
            insert_environment_id(changed, loaded, "staging", "s1", "a.yaml")
