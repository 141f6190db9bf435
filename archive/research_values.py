"""The values of research records, checked and computed: points, measured values, normals,
saved views, texts. No catalogue here (``archive.research`` stores what this module returns).

Points are in the master asset's own coordinates and units, each ``[x, y, z]``. A measurement's
value is always computed here from its points, never taken from the caller or a file:
distance and polyline in the asset's units, angle in degrees (at the middle point), area in
square units (the vector area of the closed polygon: exact for a planar polygon, the area of
its projection on its best plane otherwise).
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from .errors import ValidationError, ValidationErrors
from .validation import nfc

KINDS = ("measurement", "landmark", "annotation")
MEASURES = ("distance", "polyline", "angle", "area")
REVIEW = ("ok", "needs_review")
#: (fewest, most) points of each measure, and of landmarks and annotations (one point each).
POINT_COUNTS = {"distance": (2, 2), "polyline": (2, 10_000), "angle": (3, 3), "area": (3, 10_000),
                "landmark": (1, 1), "annotation": (1, 1)}
MAX_TITLE = 500
MAX_TEXT = 20_000
#: How far outside the model's bounding box a point may lie, as a share of its largest side
#: (picking rounds; a point metres away is a mistyped coordinate or the wrong units).
BBOX_MARGIN = 0.1
TEXT_FIELDS = ("title_vi", "title_en", "text_vi", "text_en")
EDITABLE = ("points", "normal", *TEXT_FIELDS, "view", "public", "review")
"""The fields ``Archive.update_record`` changes; kind, measure and asset are fixed at creation."""
VIEW_KEYS = ("eye", "target", "up", "fov")


def clean_point(raw: Any, field: str = "points") -> list[float]:
    """One ``[x, y, z]`` of finite numbers."""
    if isinstance(raw, (str, bytes)) or not isinstance(raw, (Sequence, np.ndarray)) or len(raw) != 3:
        raise ValidationError(field, f"each point must be three numbers [x, y, z], not {_short(raw)}", "not_point")
    out = []
    for value in raw:
        if isinstance(value, bool):
            raise ValidationError(field, f"{value!r} is not a number", "not_number")
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise ValidationError(field, f"{_short(value)} is not a number", "not_number") from None
        if not math.isfinite(number):
            raise ValidationError(field, "coordinates must be finite numbers", "not_finite")
        out.append(number)
    return out


def clean_points(raw: Any, kind: str, measure: str | None) -> list[list[float]]:
    """The record's points, as many as its kind and measure need (see ``POINT_COUNTS``)."""
    if isinstance(raw, (str, bytes, Mapping)) or not isinstance(raw, (Sequence, np.ndarray)):
        raise ValidationError("points", "must be a list of [x, y, z] points", "not_points")
    fewest, most = POINT_COUNTS[measure if kind == "measurement" and measure else kind]
    what = article(measure if kind == "measurement" and measure else kind)
    if not fewest <= len(raw) <= most:
        need = str(fewest) if fewest == most else f"{fewest} to {most}"
        raise ValidationError("points", f"{what} needs {need} point(s), not {len(raw)}", "point_count",
                              {"minimum": fewest, "maximum": most, "given": len(raw)})
    points = [clean_point(p) for p in raw]
    if measure == "angle" and (points[0] == points[1] or points[2] == points[1]):
        raise ValidationError("points", "an angle's arms need length: its first and last points must differ "
                              "from the middle one", "degenerate_angle")
    return points


def measure_value(measure: str, points: Sequence[Sequence[float]]) -> float:
    """The measured value of ``points`` (n, 3): see the module's note for units."""
    p = np.asarray(points, dtype=np.float64)
    if measure == "distance" or measure == "polyline":
        return float(np.linalg.norm(np.diff(p, axis=0), axis=1).sum())
    if measure == "angle":
        a, b = p[0] - p[1], p[2] - p[1]
        return float(np.degrees(np.arctan2(np.linalg.norm(np.cross(a, b)), float(a @ b))))
    if measure == "area":
        rel = p - p[0]  # about its first point: no precision lost to far-off (georeferenced) coordinates
        return float(np.linalg.norm(np.cross(rel, np.roll(rel, -1, axis=0)).sum(axis=0)) / 2)
    raise ValidationError("measure", f"must be one of {', '.join(MEASURES)}, not {measure!r}", "not_a_choice",
                          {"choices": list(MEASURES), "value": measure})


def check_inside(points: Sequence[Sequence[float]], bbox: Mapping[str, Any] | None, units: str | None) -> None:
    """Refuse points far outside the model's bounding box (``{"min": [3], "max": [3]}``)."""
    lo, hi = (bbox or {}).get("min"), (bbox or {}).get("max")
    if not lo or not hi:
        return
    low, high = np.asarray(lo, dtype=np.float64), np.asarray(hi, dtype=np.float64)
    margin = BBOX_MARGIN * float((high - low).max())
    for n, point in enumerate(points, start=1):
        if np.any(np.asarray(point) < low - margin) or np.any(np.asarray(point) > high + margin):
            raise ValidationError("points", f"point {n} {_xyz(point)} lies outside the model (from {_xyz(lo)} to "
                                  f"{_xyz(hi)}); points are in the model's own coordinates and units"
                                  f" ({units or 'units unknown'})", "outside_model", {"point": n})


def clean_normal(raw: Any) -> list[float] | None:
    """A unit vector (a given one of length 1 is kept exactly, so it round-trips), or None."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    normal = clean_point(raw, "normal")
    length = math.sqrt(sum(v * v for v in normal))
    if length < 1e-12:
        raise ValidationError("normal", "must not be the zero vector", "zero_normal")
    if abs(length - 1.0) > 1e-9:
        normal = [v / length for v in normal]
    return normal


def clean_view(raw: Any) -> dict[str, Any] | None:
    """A saved camera (``viewer.markers.camera_to_view``'s eye, target, up, fov in degrees), in
    the master's coordinates like the points; or None."""
    if raw is None or raw == "":
        return None
    if not isinstance(raw, Mapping):
        raise ValidationError("view", "must be a saved view {eye, target, up, fov}", "not_view")
    unknown = sorted(set(raw) - set(VIEW_KEYS))
    if unknown or not {"eye", "target", "up"} <= set(raw):
        what = f"{unknown[0]!r} is not one of them" if unknown else "some are missing"
        raise ValidationError("view", f"needs eye, target and up (and fov); {what}", "not_view")
    eye, target, up = (clean_point(raw[k], "view") for k in ("eye", "target", "up"))
    sight = np.subtract(target, eye)
    if np.linalg.norm(sight) == 0:
        raise ValidationError("view", "its eye and target must differ", "degenerate_view")
    if float(np.linalg.norm(np.cross(sight, up))) <= 1e-9 * float(np.linalg.norm(sight) * np.linalg.norm(up)):
        raise ValidationError("view", "its up must not point along the line of sight", "degenerate_view")
    view: dict[str, Any] = {"eye": eye, "target": target, "up": up}
    if raw.get("fov") is not None:
        fov = clean_point([raw["fov"], 0, 0], "view")[0]
        if not 0 < fov < 180:
            raise ValidationError("view", f"its field of view must be between 0 and 180 degrees, not {fov:g}",
                                  "range")
        view["fov"] = fov
    return view


def clean_text(name: str, raw: Any) -> str | None:
    """A title (one line, at most MAX_TITLE characters) or text (MAX_TEXT), in NFC; None when empty."""
    if raw is None:
        return None
    if not isinstance(raw, str):
        raise ValidationError(name, "must be text", "not_text")
    value = nfc(raw.strip())
    limit = MAX_TITLE if name.startswith("title") else MAX_TEXT
    if len(value) > limit:
        raise ValidationError(name, f"is longer than {limit} characters", "too_long", {"maximum": limit})
    if "\x00" in value:
        raise ValidationError(name, "contains a NUL character", "nul_character")
    if name.startswith("title") and ("\n" in value or "\r" in value):
        raise ValidationError(name, "must be one line", "one_line")
    return value or None


def clean_choice(name: str, raw: Any, choices: Sequence[str]) -> str:
    value = str(raw).strip().lower() if raw is not None else ""
    if value not in choices:
        raise ValidationError(name, f"must be one of {', '.join(choices)}, not {_short(raw)}", "not_a_choice",
                              {"choices": list(choices), "value": raw})
    return value


def clean_bool(name: str, raw: Any) -> bool:
    if isinstance(raw, bool):
        return raw
    text = str(raw).strip().lower()
    if text in ("1", "true", "yes", "y"):
        return True
    if text in ("0", "false", "no", "n", ""):
        return False
    raise ValidationError(name, f"must be yes or no, not {_short(raw)}", "not_bool")


def collect(checks: Sequence[tuple[str, Any]]) -> dict[str, Any]:
    """Run each (name, zero-argument check) and raise every problem at once."""
    values, problems = {}, []
    for name, check in checks:
        try:
            values[name] = check()
        except ValidationError as exc:
            problems.extend(exc.problems if isinstance(exc, ValidationErrors) else [exc])
    if problems:
        raise ValidationErrors(problems)
    return values


def to_json(value: Any) -> str | None:
    return None if value is None else json.dumps(value, ensure_ascii=False)


def article(word: str) -> str:
    """"an angle", "a distance": for messages."""
    return f"{'an' if word[:1] in 'aeiou' else 'a'} {word}"


def _xyz(point: Sequence[float]) -> str:
    return "(" + ", ".join(f"{v:g}" for v in point) + ")"


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "…"
