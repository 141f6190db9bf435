"""Measurements in real units and landmarks (named points) with CSV/JSON export."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

#: Length of one unit in metres.
UNITS: dict[str, float] = {"mm": 0.001, "cm": 0.01, "m": 1.0}


def convert(value: float, from_units: str | None, to_units: str | None) -> float:
    """Convert a length; unknown units (None) convert only to themselves."""
    if from_units == to_units or from_units is None or to_units is None:
        return value
    for u in (from_units, to_units):
        if u not in UNITS:
            raise ValueError(f"unknown unit {u!r}; use one of {', '.join(UNITS)}")
    return value * UNITS[from_units] / UNITS[to_units]


def format_length(value: float, units: str | None) -> str:
    """Human-readable length: ``"12.35 mm"``; unitless values say ``"units"``."""
    return f"{value:.4g} {units or 'units'}" if abs(value) < 1e-3 else f"{value:.2f} {units or 'units'}"


def distance(a: np.ndarray, b: np.ndarray) -> float:
    """Euclidean distance between two (3,) points."""
    return float(np.linalg.norm(np.asarray(b, float) - np.asarray(a, float)))


def polyline_length(points: Sequence[np.ndarray] | np.ndarray) -> float:
    """Total length of the (n, 3) polyline through ``points`` (0 for fewer than 2)."""
    p = np.asarray(points, dtype=float).reshape(-1, 3)
    return float(np.linalg.norm(np.diff(p, axis=0), axis=1).sum()) if len(p) > 1 else 0.0


@dataclass
class Measurement:
    """Points picked by the measure tool and their lengths in chosen units."""

    points: list[np.ndarray] = field(default_factory=list)
    model_units: str | None = None

    def add(self, point: np.ndarray) -> None:
        self.points.append(np.asarray(point, dtype=float).copy())

    def clear(self) -> None:
        self.points.clear()

    def last_segment(self, units: str | None = None) -> float:
        """Distance between the last two points, in ``units`` (default: model units)."""
        if len(self.points) < 2:
            return 0.0
        return convert(distance(self.points[-2], self.points[-1]), self.model_units,
                       units or self.model_units)

    def total(self, units: str | None = None) -> float:
        """Polyline length through all points, in ``units``."""
        return convert(polyline_length(self.points), self.model_units, units or self.model_units)


def bbox_dimensions(lo: np.ndarray, hi: np.ndarray, model_units: str | None,
                    units: str | None = None) -> np.ndarray:
    """(3,) bounding-box size along X, Y, Z converted to ``units``."""
    f = convert(1.0, model_units, units or model_units)
    return (np.asarray(hi, float) - np.asarray(lo, float)) * f


@dataclass
class Landmark:
    name: str
    point: np.ndarray  # (3,) model-space coordinates (file frame, origin added back)
    note: str = ""


@dataclass
class Landmarks:
    """Named points saved on a model; coordinates are in the file's own frame."""

    units: str | None = None
    items: list[Landmark] = field(default_factory=list)

    def add(self, name: str, point: np.ndarray, note: str = "") -> Landmark:
        if not name.strip():
            name = f"L{len(self.items) + 1}"
        lm = Landmark(name, np.asarray(point, dtype=float).copy(), note)
        self.items.append(lm)
        return lm

    def remove(self, name: str) -> None:
        self.items = [lm for lm in self.items if lm.name != name]

    def to_csv(self) -> str:
        """CSV text with columns name, x, y, z, units, note."""
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(["name", "x", "y", "z", "units", "note"])
        for lm in self.items:
            w.writerow([lm.name, *(repr(float(c)) for c in lm.point), self.units or "", lm.note])
        return buf.getvalue()

    def to_json(self) -> str:
        """JSON text: ``{"units": ..., "landmarks": [{"name", "x", "y", "z", "note"}]}``."""
        return json.dumps({"units": self.units, "landmarks": [
            {"name": lm.name, "x": float(lm.point[0]), "y": float(lm.point[1]),
             "z": float(lm.point[2]), "note": lm.note} for lm in self.items]},
            ensure_ascii=False, indent=2)

    def export(self, path: str | Path) -> None:
        """Write CSV or JSON, chosen by the file extension."""
        p = Path(path)
        text = self.to_json() if p.suffix.lower() == ".json" else self.to_csv()
        p.write_text(text, encoding="utf-8")
