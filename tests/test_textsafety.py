"""`clean_line` skips its three passes when `_UNCLEAN` finds nothing: that shortcut is only
safe while `_UNCLEAN` covers every character the passes act on. Checked over every code
point, so a character added to one pattern and not to `_UNCLEAN` fails here."""

from __future__ import annotations

from voiceops import textsafety

EVERY_CHARACTER = "".join(map(chr, range(0x110000)))


def acted_on() -> set[str]:
    found = set(textsafety._CONTROLS.findall(EVERY_CHARACTER))
    found |= set(textsafety._LONE_SURROGATES.findall(EVERY_CHARACTER))
    found |= {c for match in textsafety._LINE_BREAKS.findall(EVERY_CHARACTER) for c in match}
    # An escape sequence starts with ESC or an 8-bit introducer.
    found |= {c for c in EVERY_CHARACTER[:0x100] if textsafety._ESCAPES.match(c + "[0m")}
    return found


def test_the_shortcut_covers_every_character_the_cleaning_acts_on() -> None:
    unclean = set(textsafety._UNCLEAN.findall(EVERY_CHARACTER))
    assert acted_on() <= unclean
    # and nothing else: a wider shortcut costs time but no safety, so keep it exact
    assert unclean - acted_on() == set()


def test_clean_line_of_every_character_the_shortcut_passes_is_itself() -> None:
    passed = textsafety._UNCLEAN.sub("", EVERY_CHARACTER)
    assert textsafety._CONTROLS.sub("", textsafety._ESCAPES.sub("", passed)) == passed
