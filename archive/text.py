"""Text folding for accent-insensitive search, so "bun bo hue" finds "Bún bò Huế"."""

from __future__ import annotations

import re
import unicodedata

# Letters that Unicode does not decompose into base + combining mark.
_EXTRA = str.maketrans({"đ": "d", "Đ": "d", "ð": "d", "ø": "o", "ł": "l", "æ": "ae", "œ": "oe", "ß": "ss"})
_TOKEN = re.compile(r"\w+", re.UNICODE)


def fold(text: str) -> str:
    """Lower-case ``text`` and strip Vietnamese (and other) diacritics."""
    decomposed = unicodedata.normalize("NFD", text.translate(_EXTRA))
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return stripped.lower()


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
