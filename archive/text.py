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
    return table


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
