"""Text folding for accent-insensitive search, so "bun bo hue" finds "Bún bò Huế"."""

from __future__ import annotations

import re
import unicodedata


def _build_table() -> dict[int, str | None]:
    """Map every precomposed Latin letter with diacritics to its bare lower-case letter, and
    drop combining marks, so folding is one C-speed ``str.translate``."""
    table: dict[int, str | None] = {}
    for code in [*range(0x00C0, 0x0250), *range(0x1E00, 0x1F00)]:
        ch = chr(code)
        base = "".join(c for c in unicodedata.normalize("NFD", ch) if not unicodedata.combining(c))
        if base != ch and base.isascii():
            table[code] = base.lower()
    for code in range(0x0300, 0x0370):
        table[code] = None
    table.update({ord("đ"): "d", ord("Đ"): "d", ord("ð"): "d", ord("Ð"): "d", ord("ø"): "o", ord("Ø"): "o",
                  ord("ł"): "l", ord("Ł"): "l", ord("æ"): "ae", ord("Æ"): "ae", ord("œ"): "oe", ord("Œ"): "oe",
                  ord("ß"): "ss"})
    # ASCII maps to itself explicitly: str.translate raises and clears a KeyError inside for every
    # character its table lacks, which made folding a mostly-ASCII text twice as slow
    return {**{code: chr(code) for code in range(128)}, **table}


_TABLE = _build_table()
_TOKEN = re.compile(r"\w+", re.UNICODE)


def fold(text: str) -> str:
    """Lower-case ``text`` and strip Vietnamese (and other) diacritics."""
    if not text.isascii():
        text = unicodedata.normalize("NFC", text).translate(_TABLE)
    return text.lower()


def tokens(text: str) -> list[str]:
    """Folded word tokens of ``text``."""
    return _TOKEN.findall(fold(text))


def fts_query(text: str) -> str | None:
    """An FTS5 MATCH expression for what a user typed, or None when nothing is searchable.

    Every token must match; the last one also matches as a prefix so results appear
    while the user is still typing.
    """
    words = tokens(text)
    if not words:
        return None
    quoted = [f'"{w}"' for w in words]
    quoted[-1] += "*"
    return " AND ".join(quoted)


# Characters that can forge or hide lines on a terminal or in a log: C0 controls, DEL, C1
# controls (ESC starts ANSI sequences; CR and LF start new lines), the Unicode line and
# paragraph separators and the bidirectional overrides and isolates (they reorder what a
# reader sees, "Trojan Source").
_UNPRINTABLE = [*range(0x00, 0x20), 0x7F, *range(0x80, 0xA0), 0x2028, 0x2029, *range(0x202A, 0x202F),
                *range(0x2066, 0x206A)]
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape(code: int) -> str:
    ch = chr(code)
    if ch in _NAMED:
        return _NAMED[ch]
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


_PRINTABLE_TABLE = {code: _escape(code) for code in _UNPRINTABLE}
_NEEDS_ESCAPE = re.compile("[" + "".join(re.escape(chr(c)) for c in _UNPRINTABLE) + "]")


def printable(value: object) -> str:
    """``value`` as text safe to show on one line of human output (terminal, log, dialog).

    Control characters, line separators and bidi overrides become visible escapes (``\\n``,
    ``\\x1b``, ``\\u202e``), so a file name or title can never forge or hide a line. A
    backslash is doubled only when the text holds something to escape, so ordinary Windows
    paths stay as they are yet an escape shown can always be told from a literal one.
    Stored data is never changed; use this only where text is shown. JSON output needs no
    help: ``json.dumps`` escapes these itself.
    """
    text = str(value)
    if not _NEEDS_ESCAPE.search(text):
        return text
    return text.translate({**_PRINTABLE_TABLE, ord("\\"): "\\\\"})
