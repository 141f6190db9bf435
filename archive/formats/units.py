"""Units a scan file declares itself: by its format's definition (glTF, E57: metres), its
coordinate system (LAS/LAZ) or a comment in its header (PLY, OBJ).

A declared unit wins over what a person chose for a whole import batch, so each inspector
records it with :func:`declare` and says where it came from. A declared unit the catalogue
cannot record (feet) is still declared: the batch setting must not replace it, and the
warning says what the file declared.
"""

from __future__ import annotations

import re
from pathlib import Path

from archive.formats.base import ScanInfo

RECORDABLE = ("mm", "cm", "m", "in")
"""Units an asset can be given (``archive.fields`` ASSET_FIELDS ``units`` choices)."""

UNIT_NAMES = {"mm": "millimetres", "cm": "centimetres", "m": "metres", "in": "inches", "ft": "feet",
              "ft-us": "US survey feet"}

_WORDS = {
    "mm": "mm", "millimeter": "mm", "millimetre": "mm", "millimeters": "mm", "millimetres": "mm",
    "cm": "cm", "centimeter": "cm", "centimetre": "cm", "centimeters": "cm", "centimetres": "cm",
    "m": "m", "meter": "m", "metre": "m", "meters": "m", "metres": "m",
    "in": "in", "inch": "in", "inches": "in",
    "ft": "ft", "foot": "ft", "feet": "ft",
    "us survey foot": "ft-us", "us survey feet": "ft-us", "us_survey_foot": "ft-us", "ftus": "ft-us",
}  # fmt: skip
# "units mm", "unit: millimeters", "Units = cm", "file units: metres", "length unit mm".
_COMMENT = re.compile(r"^(?:[\w ]{0,20}?\s)?units?\s*[:=]?\s*([A-Za-z_][A-Za-z_ ]{0,30}?)\s*[.;]?$", re.I)
_HEAD_BYTES = 65536


def unit_word(word: str) -> str | None:
    """The unit code (mm, cm, m, in, ft, ft-us) for a unit's name or symbol, else None."""
    return _WORDS.get(" ".join(word.lower().replace('"', "").split()))


def unit_in_comment(comment: str) -> str | None:
    """The unit a header comment declares (``units mm``, ``unit: millimeters``), else None."""
    match = _COMMENT.match(comment.strip().lstrip("#").strip())
    if not match:
        return None
    words = match.group(1)  # "mm", "millimeters", "are in mm"
    return unit_word(words) or unit_word(words.split()[-1])


def unit_in_comments(comments: list[str]) -> str | None:
    return next((u for u in map(unit_in_comment, comments) if u), None)


def obj_head_comments(path: Path) -> list[str]:
    """The ``#`` comment lines in the first 64 KiB of an OBJ (where exporters write units)."""
    with open(path, "rb") as fh:
        head = fh.read(_HEAD_BYTES).decode("utf-8", errors="replace")
    return [line.strip()[1:] for line in head.splitlines() if line.strip().startswith("#")]


def declare(info: ScanInfo, unit: str, source: str) -> None:
    """Record that the file itself says its coordinates are in ``unit`` (per ``source``)."""
    info.units_declared = True
    info.units_source = source
    if unit in RECORDABLE:
        info.units = unit
        return
    info.units = None
    info.details["declared_units"] = unit
    info.warnings.append(f"the file declares its units as {UNIT_NAMES.get(unit, unit)} ({source}), which the "
                         "archive cannot record yet (mm, cm, m or in): its units were left unset")
