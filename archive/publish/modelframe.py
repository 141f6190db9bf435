"""The published model's frame: where a point of the master lands in the web GLB.

The web copy is y-up and in metres (glTF's convention): the master's coordinates are turned
by the rotation that brings its recorded up axis to +Y (:func:`glbtools.frames.to_y_up`) and
scaled from its units to metres. That is the only change: the copy is neither recentred nor
mirrored, and the writer adds no node transform.

Everything that places something on a published model goes through :func:`model_frame`:
the GLB export itself (:func:`.geometry.load_model`, :func:`.levelsource.level_model`) and
the hotspots, tour cameras and open-data positions of research records, so they cannot
drift apart. Any future recentring belongs in :class:`ModelFrame` (``origin``), not in a reader.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from glbtools.frames import to_y_up

from .profiles import UNITS_TO_METRES

#: Masters whose own convention fixes their units: glTF is metres by definition.
METRE_FORMATS = frozenset({"glb", "gltf"})


@dataclass(frozen=True)
class ModelFrame:
    """Master coordinates → published coordinates: ``(p - origin) @ rotation.T * scale``.

    rotation : (3, 3) proper rotation (no mirror); scale : metres per master unit;
    origin : (3,) master-frame point that becomes the published origin (zeros: none);
    units_known : False when the master's units were unknown and taken as metres.
    """

    rotation: np.ndarray
    scale: float
    origin: np.ndarray = field(default_factory=lambda: np.zeros(3))
    units_known: bool = True

    def points(self, points: Any) -> np.ndarray:
        """(n, 3) master points → (n, 3) float64 published points (metres, y-up)."""
        p = np.asarray(points)
        if p.dtype != np.float32:  # float32 (big PLY masters) is promoted by the product, not copied first
            p = p.astype(np.float64, copy=False)
        if self.origin.any():
            p = p - self.origin
        out = p @ self.rotation.T
        out *= self.scale
        return out

    def directions(self, vectors: Any) -> np.ndarray:
        """(n, 3) master directions (normals) → unit directions in the published frame.

        The rotation is proper and the scale uniform, so a normal turns like a direction."""
        d = np.asarray(vectors, dtype=np.float64) @ self.rotation.T
        length = np.linalg.norm(d, axis=-1, keepdims=True)
        return np.divide(d, length, out=np.zeros_like(d), where=length > 0)

    def point(self, point: Any) -> list[float]:
        """One ``[x, y, z]`` master point → published, as plain floats."""
        return [float(v) for v in self.points(np.asarray(point, dtype=np.float64).reshape(1, 3))[0]]


def model_frame(fmt: str | None, units: str | None, up_axis: str | None) -> ModelFrame:
    """The frame of the web copy of a master in ``fmt`` (an import format id: "obj", "glb"…),
    recorded ``units`` ("mm", "cm", "m", "in"; None: unknown, taken as metres) and resolved
    ``up_axis`` (one of ``glbtools.frames.UP_AXES``)."""
    if (fmt or "").lower() in METRE_FORMATS:
        units = "m"
    scale = UNITS_TO_METRES.get(units or "", 1.0)
    return ModelFrame(to_y_up(up_axis), scale, units_known=bool(units) and units in UNITS_TO_METRES)
