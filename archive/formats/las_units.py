"""The linear unit of a LAS/LAZ file's coordinate system (WKT or GeoTIFF keys).

LAS coordinates are in the units of the file's coordinate reference system; a file without
one is taken as metres (what survey software writes). Read without pyproj: the WKT's last
length unit before any vertical part, or GeoTIFF key ProjLinearUnitsGeoKey.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from archive.formats.units import unit_word

_WKT_UNIT = re.compile(r'(?:LENGTHUNIT|UNIT)\s*\[\s*"([^"]*)"\s*,\s*([0-9.eE+-]+)', re.I)
_VERTICAL = re.compile(r"VERT_CS\s*\[|VERTCRS\s*\[|VERTICALCRS\s*\[", re.I)
_ANGULAR = ("degree", "grad", "radian", "arc")
_FACTORS = {"m": 1.0, "ft": 0.3048, "ft-us": 1200 / 3937, "mm": 0.001, "cm": 0.01, "in": 0.0254}
_PROJ_LINEAR_UNITS_KEY = 3076
_EPSG_LINEAR_UNITS = {9001: "m", 9002: "ft", 9003: "ft-us"}
_MODEL_TYPE_KEY, _GEOGRAPHIC = 1024, 2


def wkt_unit(wkt: str) -> str | None:
    """Unit code of a WKT coordinate system's horizontal axes; None when it names no length unit
    (a geographic system in degrees, or an unreadable string)."""
    horizontal = _VERTICAL.split(wkt, maxsplit=1)[0]
    linear = [(name, float(factor)) for name, factor in _unit_pairs(horizontal)
              if not any(a in name.lower() for a in _ANGULAR)]
    if not linear or not re.search(r"PROJCS\s*\[|PROJCRS\s*\[|PROJECTEDCRS\s*\[|LOCAL_CS\s*\[", horizontal, re.I):
        return None
    name, factor = linear[-1]
    by_factor = next((u for u, f in _FACTORS.items() if abs(f - factor) < 1e-9 * max(1.0, f)), None)
    return by_factor or unit_word(name)


def _unit_pairs(text: str) -> Iterable[tuple[str, str]]:
    for match in _WKT_UNIT.finditer(text):
        try:
            float(match.group(2))
        except ValueError:
            continue
        yield match.group(1), match.group(2)


def geokeys_unit(keys: Iterable[tuple[int, int, int]]) -> str | None:
    """Unit code from GeoTIFF (key id, tag location, value) entries; None when not stated."""
    values = {key: value for key, location, value in keys if location == 0}
    if values.get(_MODEL_TYPE_KEY) == _GEOGRAPHIC:
        return None
    return _EPSG_LINEAR_UNITS.get(values.get(_PROJ_LINEAR_UNITS_KEY, -1))
