"""Hotspots and the guided tour of an item page, as template values.

model-viewer places a hotspot at ``data-position`` in the model's own frame (the GLB's: y up,
metres), facing ``data-normal``, and takes its camera as ``camera-orbit`` (azimuth θ about +Y
from +Z, polar φ from +Y, radius), ``camera-target`` and ``field-of-view`` (vertical). The
records' saved views are turned into those from the view already placed in the GLB's frame
(:class:`.annotations.PublicRecord` ``view_m``). The view's roll (its ``up``) has no place in
model-viewer's orbit camera and is dropped.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from .annotations import ItemResearch, PublicRecord


def metres(values: Sequence[float]) -> str:
    """``[x, y, z]`` as model-viewer reads a position: ``"0.012000m 0.100000m -0.004000m"``
    (micrometres: finer than any scan a page shows)."""
    return " ".join(f"{_zero(v):.6f}m" for v in values)


def _zero(value: float) -> float:
    return 0.0 if abs(value) < 5e-7 else float(value)  # never "-0.000000m"


def orbit(view_m: Mapping[str, Any]) -> tuple[float, float, float]:
    """(θ, φ in radians, radius in metres) of model-viewer's orbit for a view in the GLB's
    frame: the eye at ``target + r (sin φ sin θ, cos φ, sin φ cos θ)``."""
    dx, dy, dz = (e - t for e, t in zip(view_m["eye"], view_m["target"], strict=True))
    radius = math.sqrt(dx * dx + dy * dy + dz * dz)
    if radius == 0:
        raise ValueError("a saved view needs its eye and target apart")
    return math.atan2(dx, dz), math.acos(max(-1.0, min(1.0, dy / radius))), radius


def camera(view_m: Mapping[str, Any]) -> dict[str, str]:
    """model-viewer's camera attributes for a view in the GLB's frame: ``orbit`` ("θ φ r"
    in rad, rad, m as plain numbers for the page script), ``target`` (metres) and ``fov`` (degrees)."""
    theta, phi, radius = orbit(view_m)
    return {"orbit": " ".join(f"{_zero(v):.6f}" for v in (theta, phi, radius)), "target": metres(view_m["target"]),
            "fov": f"{float(view_m['fov']):.3f}"}


def _shown(record: PublicRecord, name: str, lang: str) -> dict[str, str]:
    shown, shown_lang = record.title(lang) if name == "title" else record.shown(name, lang)
    return {name: shown, f"{name}_lang": shown_lang if shown_lang != lang else ""}


def hotspot_values(research: ItemResearch | None, lang: str) -> list[dict[str, Any]]:
    """One entry per hotspot: ``slot`` ("hotspot-1"…), ``number``, ``position``, ``normal``
    (or None), ``title``/``text`` in ``lang`` with ``title_lang``/``text_lang`` set only
    when they fell back to the other language, and ``uid``."""
    out = []
    for n, record in enumerate(research.hotspots if research else [], start=1):
        out.append({"slot": f"hotspot-{n}", "number": n, "uid": record.uid,
                    "position": metres(record.points_m[0]),
                    "normal": metres(record.normal_m) if record.normal_m else None,
                    **_shown(record, "title", lang), **_shown(record, "text", lang)})
    return out


def tour_values(research: ItemResearch | None, lang: str) -> list[dict[str, Any]]:
    """The tour's stops in order: ``n``, camera ``orbit``/``target``/``fov``, the shown
    ``title``/``text`` (as :func:`hotspot_values`) and the ``slot`` of the stop's own hotspot."""
    if not research:
        return []
    slots = {r.uid: f"hotspot-{n}" for n, r in enumerate(research.hotspots, start=1)}
    stops = []
    for n, record in enumerate(research.stops, start=1):
        assert record.view_m is not None
        stops.append({"n": n, **camera(record.view_m), "slot": slots.get(record.uid),
                      **_shown(record, "title", lang), **_shown(record, "text", lang)})
    return stops
