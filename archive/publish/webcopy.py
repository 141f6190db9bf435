"""The web copy of a master: a GLB under the profile's byte budget, with a report.

Order of work: hard caps (triangles, points) → textures (originals kept when they fit the
profile's pixel limit) → write → if over budget, shrink whichever of textures or geometry
dominates and write again. The report says what was achieved and what it cost.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from archive.store import CancelToken

from .budget import GeometricError, geometric_error, reduce_model
from .geometry import Model, Part
from .glb import write_glb
from .materials import BASE_COLOR, DATA_MAPS, SLOT_NAMES, ktx2_size
from .profiles import BudgetNotReached, Profile
from .textures import Texture, find_original, prepare_texture, shrink

#: per part: its maps other than the base colour, encoded for the GLB (by glTF slot)
MapTextures = dict[str, Texture]

MAX_ATTEMPTS = 8
HEADROOM = 0.97  # aim a little under the budget: the next write differs slightly from the estimate


@dataclass
class WebCopyReport:
    """What :func:`make_web_glb` achieved (all public, technical values)."""

    bytes: int
    budget: int | None
    triangles: int
    points: int
    master_triangles: int
    master_points: int
    textures: list[dict[str, Any]] = field(default_factory=list)
    error: GeometricError | None = None
    compress: str = "none"
    notes: list[str] = field(default_factory=list)
    point_spacing: float | None = None  # median distance (m) from a kept point to its nearest neighbour

    def as_dict(self) -> dict[str, Any]:
        out = {k: v for k, v in self.__dict__.items() if k != "error"}
        out["geometric_error"] = self.error.as_dict() if self.error else None
        return out


def make_web_glb(master: Model, profile: Profile, originals: list[bytes], path: Path,
                 asset_meta: Mapping[str, Any], name: str = "model", cancel: CancelToken | None = None,
                 measure_error: bool = True) -> WebCopyReport:
    """Write ``master`` to ``path`` as a GLB that fits ``profile``; see the module docstring.

    ``originals`` are the encoded images of the master (to copy textures byte for byte).
    Raises :class:`BudgetNotReached` when even a heavily reduced copy is too big.
    """
    model = _capped(master, profile)
    textures = [None if p.image is None else
                prepare_texture(p.image, find_original(p.image, originals), profile.max_texture_px,
                                profile.jpeg_quality) for p in model.parts]
    maps = [prepare_maps(p, profile) for p in model.parts]
    tex_bytes = sum(len(t.data) for t in textures if t is not None) + _map_bytes(maps)
    model = _first_guess(model, master, profile, tex_bytes)
    size = write_glb(model, textures, path, asset_meta, profile.compress, name, maps)
    budget = profile.max_bytes
    for _ in range(MAX_ATTEMPTS):
        if budget is None or size <= budget:
            break
        if cancel:
            cancel.check()
        tex_bytes = sum(len(t.data) for t in textures if t is not None) + _map_bytes(maps)
        geo_bytes = max(size - tex_bytes, 1)
        target = budget * HEADROOM
        if tex_bytes > target * 0.5 or geo_bytes < target * 0.1:
            factor = min(0.75, (target * 0.5 / max(tex_bytes, 1)) ** 0.5)
            textures = _shrink_textures(model, textures, profile, factor)
            maps = [_shrink_maps(p, m, profile, factor) for p, m in zip(model.parts, maps, strict=True)]
        else:
            ratio = max(0.01, (target - tex_bytes) / geo_bytes) * _ratio(model, master)
            model = reduce_model(master, ratio, ratio) if ratio < 1 else model
            model = _capped(model, profile)
        size = write_glb(model, textures, path, asset_meta, profile.compress, name, maps)
    if budget is not None and size > budget:
        path.unlink(missing_ok=True)
        raise BudgetNotReached(f"the web copy is still {size / 1e6:.1f} MB after reduction; the {profile.name!r} "
                               f"profile allows {budget / 1e6:.1f} MB. Choose a larger profile.")
    report = WebCopyReport(size, budget, model.triangles, model.points, master.triangles, master.points,
                           compress=profile.compress, notes=list(master.notes))
    report.textures = _texture_rows(model, textures, maps)
    report.point_spacing = point_spacing(model)
    if measure_error and model is not master:
        report.error = geometric_error(master, model)
    elif measure_error:
        report.error = GeometricError(0.0, 0.0, 0.0, 0.0, 0)
    return report


def point_spacing(model: Model, sample: int = 20_000) -> float | None:
    """Median distance in metres from a point of the clouds to its nearest neighbour (over a
    fixed sample of at most ``sample`` points); None when the model has no points."""
    clouds = [p.vertices for p in model.parts if p.faces is None and len(p.vertices) > 1]
    if not clouds:
        return None
    from scipy.spatial import cKDTree

    points = np.concatenate(clouds)
    picked = points[np.random.default_rng(7).choice(len(points), size=min(sample, len(points)), replace=False)]
    distances, _ = cKDTree(points).query(picked, k=2, workers=-1)
    return float(np.median(distances[:, 1]))


#: bytes a triangle (a point) takes in our GLB: float32 position and normal of about half a
#: vertex and three uint32 indices (a point: position and colour), a little over
GLB_BYTES_PER_TRIANGLE = 26
GLB_BYTES_PER_POINT = 17


def _first_guess(model: Model, master: Model, profile: Profile, tex_bytes: int) -> Model:
    """``model`` reduced before it is first written when its geometry alone is well over the
    byte budget: writing a 12M-triangle copy (and its normals) only to learn it is 30 times
    too big costs more than the reduction itself. The budget loop corrects the estimate."""
    budget = profile.max_bytes
    geometry = model.triangles * GLB_BYTES_PER_TRIANGLE + model.points * GLB_BYTES_PER_POINT
    if budget is None or geometry <= 2 * budget:
        return model
    room = max(budget * HEADROOM - tex_bytes, budget * 0.1)
    ratio = room / geometry * _ratio(model, master)
    return reduce_model(master, ratio, ratio)


def _ratio(model: Model, master: Model) -> float:
    """How much of the master's geometry ``model`` keeps (so reductions compound)."""
    if master.triangles:
        return model.triangles / master.triangles
    return model.points / max(master.points, 1)


def _capped(model: Model, profile: Profile) -> Model:
    tri_ratio = point_ratio = 1.0
    if profile.max_triangles and model.triangles > profile.max_triangles:
        tri_ratio = profile.max_triangles / model.triangles
    if profile.max_points and model.points > profile.max_points:
        point_ratio = profile.max_points / model.points
    if tri_ratio < 1 or point_ratio < 1:
        return reduce_model(model, tri_ratio, point_ratio)
    return model


def _shrink_textures(model: Model, textures: list[Texture | None], profile: Profile,
                     factor: float) -> list[Texture | None]:
    out: list[Texture | None] = []
    for part, tex in zip(model.parts, textures, strict=True):
        if tex is None or part.image is None:
            out.append(tex)
        else:
            out.append(shrink(tex, part.image, factor, profile.jpeg_quality))
    return out


def prepare_maps(part: Part, profile: Profile) -> MapTextures:
    """``part``'s maps other than the base colour, through the texture pipeline: the master's
    bytes when they fit, else downscaled; data maps stay lossless (PNG). KTX2 images are not
    decoded: the writer carries them as they are."""
    if part.details is None:
        return {}
    return {slot: prepare_texture(m.image, m.encoded, profile.max_texture_px, profile.jpeg_quality,
                                  lossless=slot in DATA_MAPS)
            for slot, m in part.details.maps.items() if slot != BASE_COLOR and m.image is not None}


def _shrink_maps(part: Part, maps: MapTextures, profile: Profile, factor: float) -> MapTextures:
    if part.details is None:
        return maps
    sources = part.details.maps
    return {slot: shrink(tex, image, factor, profile.jpeg_quality, slot in DATA_MAPS)
            for slot, tex in maps.items() if (image := sources[slot].image) is not None}


def _map_bytes(maps: list[MapTextures]) -> int:
    return sum(len(t.data) for m in maps for t in m.values())


def _texture_rows(model: Model, textures: list[Texture | None], maps: list[MapTextures]) -> list[dict[str, Any]]:
    """One row per texture in the web copy: its map, size, bytes, type and how it was made."""
    rows = []
    for part, tex, part_maps in zip(model.parts, textures, maps, strict=True):
        made = {BASE_COLOR: tex, **part_maps} if tex is not None else dict(part_maps)
        for slot, t in made.items():
            rows.append({"map": SLOT_NAMES[slot], "width": t.size[0], "height": t.size[1], "bytes": len(t.data),
                         "mime": t.mime, "how": t.how})
        for slot, m in (part.details.maps.items() if part.details else ()):
            if m.ktx2 is not None:
                w, h = ktx2_size(m.ktx2)
                rows.append({"map": SLOT_NAMES[slot], "width": w, "height": h, "bytes": len(m.ktx2),
                             "mime": "image/ktx2", "how": "copied (KTX2, not decoded)"})
    return rows
