"""Folding (archive.text.fold) of a text mixing ASCII and accented letters: every ASCII character
comes out as in an ASCII-only text (lower-cased, nothing else), whatever its neighbours; the
accented letters beside them fold as alone. The fold table maps ASCII to itself explicitly (speed);
these keep its output what it was."""

from __future__ import annotations

from archive.text import fold


def test_every_ascii_character_beside_an_accented_letter_folds_as_in_ascii_text() -> None:
    for code in range(128):
        ch = chr(code)
        assert fold("ế" + ch + "Ữ") == "e" + ch.lower() + "u", repr(ch)
        assert fold(ch) == ch.lower()


def test_vietnamese_text_folds_to_its_bare_lower_case_letters() -> None:
    assert fold("Bún bò Huế\nĐỉnh đồng; Chén NGỰ (1802)") == "bun bo hue\ndinh dong; chen ngu (1802)"
    assert fold("Bu\u0301n bo\u0300 Hue\u0302\u0301") == "bun bo hue"  # written decomposed (NFD)
