"""Web copies made from a kept level of detail (``derived/levels/``) instead of the master.

A web GLB keeps a few hundred thousand triangles; decimating a 12-50M-triangle master to
that costs minutes and gigabytes, decimating its ~1M-triangle level costs seconds. A level
holds colours per vertex, or the master's texture coordinates and its texture (scaled to at
most 4096 px for the finest level); a textured master starts from one only when its levels
keep its texture and its materials hold nothing more (no other maps, no colour factor).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from .geometry import Model, Part
from .modelframe import METRE_FORMATS, model_frame
from .profiles import Profile
from .webcopy import make_web_glb

if TYPE_CHECKING:
    from archive.service import Archive

    from .export import MasterJob, MasterOutput


@dataclass
class LevelSource:
    """A kept level of detail (a PLY in the master's frame and units) and how much it and the
    master hold (triangles for a mesh, points for a cloud)."""

    path: Path
    primitives: int
    master_primitives: int


#: Bytes a triangle (a point) takes in a web GLB, to turn a byte budget into a count
WEB_BYTES_PER_TRIANGLE = 24
WEB_BYTES_PER_POINT = 16


def level_model(path: Path, fmt: str | None, units: str | None, up_axis: str) -> Model:
    """A level file (:func:`archive.levels.read_level`) as an export model, in the frame
    :func:`.geometry.load_model` gives the master (its ``fmt``, ``units``, ``up_axis``):
    the same :func:`.modelframe.model_frame`, so hotspots land alike on either copy."""
    from archive.levels import read_level

    g = read_level(path)
    vertices = model_frame(fmt, units, up_axis).points(g.vertices.astype(np.float64) + g.origin)
    faces = None if g.faces is None else g.faces.astype(np.int64)
    notes = [] if units or (fmt or "") in METRE_FORMATS else ["the master's units are unknown; it was taken as metres"]
    return Model([Part(vertices, faces, colors=g.colours, uv=g.uv, image=g.texture)], notes)


def web_glb_from_level(job: MasterJob, level: LevelSource) -> MasterOutput:
    """The web GLB made from a kept level instead of the master (which is not read)."""
    model = level_model(level.path, job.master.suffix.lower().lstrip("."), job.units, job.up_axis)
    path = job.folder / f"{job.stem}.glb"
    report = make_web_glb(model, job.profile, [], path, job.meta, job.name)
    noun = "triangles" if model.triangles else "points"
    note = (f"made from the kept level of detail {level.path.name} ({level.primitives:,} of the master's "
            f"{level.master_primitives:,} {noun}); the geometric error is measured against that level")
    if model.triangles:
        report.master_triangles = level.master_primitives
    else:
        report.master_points = level.master_primitives
    report.notes.append(note)
    from .export import MasterOutput  # noqa: F811 - at run time (export imports this module)

    return MasterOutput([path], report, [*model.notes, note])


def web_glb_from_cloud(job: MasterJob) -> MasterOutput | None:
    """The web GLB of a point cloud master that :func:`.cloudstream.open_cloud_source` reads a
    chunk at a time (LAS, LAZ, E57, PCD, XYZ, PTS, a PLY cloud) of more than twice the points
    the profile allows, thinned while it is read (:func:`.clouds.thin_chunks`), so a
    100M-point scan never sits in memory; None for any other master (the caller reads it whole)."""
    from archive.formats.identify import identify
    from archive.formats.lidar import las_point_count

    from .clouds import thin_chunks, thin_las
    from .cloudstream import STREAMED_CLOUDS, open_cloud_source

    fmt = identify(job.master)
    budget = profile_budget(job.profile, cloud=True)
    if job.fmt != "glb" or budget is None or fmt not in STREAMED_CLOUDS:
        return None
    frame = model_frame(fmt, job.units, job.up_axis)
    target = int(budget * 0.97)
    if fmt in ("las", "laz"):  # thinned on the file's own integers, then turned: far less work per point
        if las_point_count(job.master) <= 2 * budget:
            return None
        thin = thin_las(job.master, target)
        thin.points, thin.cell = frame.points(thin.points + thin.origin), thin.cell * frame.scale
    else:
        source = open_cloud_source(job.master, frame)
        if source is None or source.count <= 2 * budget:
            return None
        thin = thin_chunks(source.chunks(), *source.bounds(), target)
    notes = [] if frame.units_known else ["the master's units are unknown; it was taken as metres"]
    model = Model([Part(thin.points, colors=thin.colours)], notes)
    path = job.folder / f"{job.stem}.glb"
    report = make_web_glb(model, job.profile, [], path, job.meta, job.name)
    note = (f"thinned while it was read: one point per {thin.cell:.3g} m cell of a regular grid "
            f"({len(thin.points):,} of the master's {thin.total:,} points); the geometric error is measured "
            "against the thinned cloud")
    report.master_points = thin.total
    report.notes.append(note)
    from .export import MasterOutput  # noqa: F811 - at run time (export imports this module)

    return MasterOutput([path], report, [*model.notes, note])


def profile_budget(profile: Profile, cloud: bool) -> int | None:
    """The most triangles (points for a cloud) ``profile`` lets a web copy keep: its hard
    cap, else its byte budget over what one takes in a GLB; None when it has neither."""
    cap = profile.max_points if cloud else profile.max_triangles
    per = WEB_BYTES_PER_POINT if cloud else WEB_BYTES_PER_TRIANGLE
    from_bytes = None if profile.max_bytes is None else profile.max_bytes // per
    budgets = [b for b in (cap, from_bytes) if b]
    return min(budgets) if budgets else None


def _plain_texture_fits(archive: Archive, item_id: int, profile: Profile) -> bool:
    from archive.levels import master_of, plain_textured_levels
    from glbtools.leveltexture import level_texture_px

    found = master_of(archive, item_id)
    if found is None:
        return False
    uid, _, sha = found
    finest = level_texture_px(1)
    return plain_textured_levels(archive.store.derived / "levels" / uid, sha) and (
        profile.max_texture_px is not None and profile.max_texture_px <= finest)


def choose_web_level(archive: Archive, item_id: int, asset: Mapping[str, Any], profile: Profile) -> LevelSource | None:
    """The kept level a web copy under ``profile`` should start from: for a master whose
    recorded count is over the profile's budget, a level that still holds at least that
    budget; a textured master only when its levels keep its texture at no less than the
    profile's texture size and its materials hold nothing more
    (:func:`archive.levels.plain_textured_levels`)."""
    if asset.get("textured") and not _plain_texture_fits(archive, item_id, profile):
        return None
    faces, points = int(asset.get("faces") or 0), int(asset.get("points") or 0)
    master = faces or points
    budget = profile_budget(profile, cloud=not faces)
    if not master or budget is None or budget >= master:
        return None
    levels = [lv for lv in archive.levels(item_id) if budget <= lv.primitives < master]
    return LevelSource(levels[0].path, levels[0].primitives, master) if levels else None
