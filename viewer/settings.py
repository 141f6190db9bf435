"""Viewer settings: one plain object; every control sets a field, then ``session.apply``."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal

DisplayMode = Literal["auto", "textured", "shaded", "vertex_colors", "wireframe", "points"]
Lighting = Literal["headlight", "directional", "flat"]
SectionAxis = Literal["x", "y", "z", "view"]

DISPLAY_MODES: tuple[str, ...] = ("auto", "textured", "shaded", "vertex_colors", "wireframe",
                                  "points")

#: Lighting presets -> field values. "raking" is the low grazing light that reveals tool
#: marks and inscriptions; azimuth is measured around +Y from the front (+Z), elevation
#: above the XZ plane, both in degrees, in model space (the light stays on the object).
LIGHT_PRESETS: dict[str, dict[str, object]] = {
    "default": {"lighting": "headlight"},
    "raking-left": {"lighting": "directional", "light_azimuth": -80.0, "light_elevation": 8.0},
    "raking-right": {"lighting": "directional", "light_azimuth": 80.0, "light_elevation": 8.0},
    "raking-top": {"lighting": "directional", "light_azimuth": 0.0, "light_elevation": 82.0},
    "front": {"lighting": "directional", "light_azimuth": 20.0, "light_elevation": 35.0},
    "flat": {"lighting": "flat"},
}


@dataclass(frozen=True)
class Settings:
    """Everything the user can change about how a model is shown.

    Frozen: change with :func:`dataclasses.replace` or :meth:`with_preset`, then hand the
    new object to ``ViewerSession.apply``, which rebuilds only what changed.
    """

    mode: DisplayMode = "auto"
    point_size: float = 2.0
    background: tuple[float, float, float] = (0.16, 0.17, 0.19)
    lighting: Lighting = "headlight"
    light_azimuth: float = 45.0
    light_elevation: float = 30.0
    ambient: float = 0.22
    section_enabled: bool = False
    section_axis: SectionAxis = "x"
    section_offset: float = 0.5  # fraction of the bounding box along the axis, 0..1
    section_flip: bool = False
    section_outline: bool = True
    section_cap: bool = True  # fill the cut face
    projection: Literal["perspective", "orthographic"] = "perspective"
    display_units: str | None = None  # None: the model's own units
    frame_budget_ms: float = 33.0  # moving frames must fit this; drives LOD choice

    def with_preset(self, name: str) -> Settings:
        """Copy with a lighting preset from :data:`LIGHT_PRESETS` applied."""
        if name not in LIGHT_PRESETS:
            raise ValueError(f"unknown lighting preset {name!r}")
        return replace(self, **LIGHT_PRESETS[name])  # type: ignore[arg-type]
