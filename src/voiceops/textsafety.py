"""Text from vendors (and file names) is data: it must not steer a terminal, a markdown
comment or the GitHub Actions log it is printed into.

- A terminal obeys escape sequences and control characters: they are removed, and so are
  the bidirectional-override characters that make text read differently than it is.
- Markdown: vendor text only appears inside code spans and fenced blocks whose fence is
  longer than any run of backticks in the text, so it cannot close them (nor a
  `<details>` around them); `@` never forms a mention.
- The Actions runner executes `::command::` at the start of a line and `##[command]`
  anywhere in it; under `GITHUB_ACTIONS=true` both are broken up with a zero-width space.
"""

from __future__ import annotations

import re

ZWSP = "\u200b"

# CSI (ESC [ … final byte), string commands (OSC, DCS, APC, PM, SOS: up to BEL, ST or the end
# of the line), other escapes, and their 8-bit forms. What is left of a malformed sequence
# is harmless once the control characters themselves are removed.
_ESCAPES = re.compile(
    r"(?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]"
    r"|(?:\x1b[\]P^_X]|[\x90\x98\x9d\x9e\x9f])[^\x07\x1b\x9c\n]*(?:\x07|\x1b\\|\x9c)?"
    r"|\x1b[ -/]*[0-~]"
)
_STYLE = re.compile(r"\x1b\[[0-9;]*m")
_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_LINE_BREAKS = re.compile("\r\n|[\n\r\u2028\u2029\u0085\t]")
# Half of a UTF-16 pair on its own: JSON lets a vendor send one (`"\\ud83d"`, an emoji cut
# in two), and no output encoding can carry it.
_LONE_SURROGATES = re.compile("[\ud800-\udfff]")
# Every character that begins something the patterns above remove or replace.
_UNCLEAN = re.compile(
    "[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029\ud800-\udfff]"
)
_BACKTICKS = re.compile("`+")
_COMMAND_AT_LINE_START = re.compile(r"^(\s*):(?=:)", re.MULTILINE)


def clean_line(text: str) -> str:
    """One line of display text: line breaks and tabs become spaces; escape sequences and
    control characters are removed."""
    if not _UNCLEAN.search(text):
        return text  # the common case: nothing to remove, and no three passes over it
    text = _LONE_SURROGATES.sub("\ufffd", text)
    return _CONTROLS.sub("", _ESCAPES.sub("", _LINE_BREAKS.sub(" ", text)))


def clean_text(text: str) -> str:
    """Multi-line display text: like `clean_line`, but keeps line breaks and tabs."""
    text = _LONE_SURROGATES.sub("\ufffd", text.replace("\r\n", "\n").replace("\r", "\n"))
    text = text.replace("\u2028", "\n").replace("\u2029", "\n").replace("\u0085", "\n")
    return _CONTROLS.sub(
        lambda m: m.group(0) if m.group(0) in "\n\t" else "", _ESCAPES.sub("", text)
    )


def for_terminal(text: str, *, keep_style: bool = False) -> str:
    """A whole output before it is printed. With `keep_style`, voiceops's own colours (SGR
    sequences) stay; vendor text was cleaned field by field before it was styled."""
    if not keep_style:
        return clean_text(text)
    parts = []
    position = 0
    for match in _STYLE.finditer(text):
        parts.append(clean_text(text[position : match.start()]))
        parts.append(match.group(0))
        position = match.end()
    parts.append(clean_text(text[position:]))
    return "".join(parts)


def for_workflow_log(text: str) -> str:
    """Text that cannot start a GitHub Actions workflow command."""
    text = _COMMAND_AT_LINE_START.sub(lambda m: f"{m.group(1)}:{ZWSP}", text)
    return no_legacy_command(text)


def no_legacy_command(text: str) -> str:
    """`##[command]` is obeyed anywhere in a line of the Actions log; break it up."""
    return text.replace("##[", f"#{ZWSP}#[")


# Characters JSON allows raw inside strings that a terminal or an editor would act on
# (C1 controls such as the 8-bit CSI, bidi overrides, line separators), and lone
# surrogates, which UTF-8 cannot carry raw.
_UNSAFE_IN_JSON = re.compile(
    "[\x7f-\x9f\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]"
)


def json_safe(text: str) -> str:
    """Serialised JSON made inert for a terminal and the Actions log without changing its
    data: unsafe characters become \\u escapes, and `##[` (a workflow command anywhere in a
    line) is written with an escaped `#`. A line of indented JSON never starts with `::`."""
    text = _UNSAFE_IN_JSON.sub(lambda m: f"\\u{ord(m.group(0)):04x}", text)
    return text.replace("##[", "\\u0023#[")


def markdown_fence(text: str, info: str = "") -> str:
    """`text` as a fenced code block that nothing inside it can close."""
    longest = max((len(run) for run in _BACKTICKS.findall(text)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}{info}\n{clean_text(text)}\n{fence}"


def markdown_code(text: str) -> str:
    """`text` as one inline code span, safe inside a table cell."""
    cleaned = clean_line(text).replace("`", "'").replace("|", "\\|")
    return f"`{cleaned}`"


def no_mentions(text: str) -> str:
    """`@name` cannot notify anyone."""
    return text.replace("@", f"@{ZWSP}")
