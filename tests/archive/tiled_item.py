"""A published point cloud too big for the mobile profile's one web GLB (so its pages stream
3D Tiles), with notes on it: shared by the archive and browser tests of tiled item pages.

The cloud is the georeferenced ground of test_tiles3d (far from the origin, written z-up to a
LAS as a scanner does) with a red patch around one point; a public annotation (with a saved
view, so the page has a tour) sits on that point, a private one elsewhere carries a canary."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from archive import Archive
from archive.publish import export_item

from .test_publish_support import add
from .test_tiles3d import _write_las, terrain

POINTS = 260_000  # over the mobile profile's 196,608-point web budget (3 MB at 16 B a point)
PRIVATE_NOTE = "Ghi chú nội bộ 7f3a"
PUBLIC_NOTE = "Vết đỏ"
PATCH_M = 0.6  # radius of the red patch around the public note's point


@dataclass
class TiledExport:
    archive: Path
    item: int
    folder: Path  # <slug>/ with index.html, tileset.json…
    single: Path  # <slug>.html
    notes: list[str]
    point_yup: np.ndarray  # the public note's point in the published frame (y-up metres)


def red_patch_cloud(n: int = POINTS) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(points y-up, colours RGBA, the patch's centre y-up): the ground, red within PATCH_M."""
    points, colours = terrain(n)
    centre_xz = points[:, [0, 2]].min(0) + np.array([14.0, 4.0])
    near = np.linalg.norm(points[:, [0, 2]] - centre_xz, axis=1)
    colours[near < PATCH_M] = (255, 0, 0, 255)
    centre = points[np.argmin(near)]
    colours[:, 1] = np.where(near < PATCH_M, 0, 200)  # the rest has green: only the patch is pure red
    return points, colours, centre


def build(root: Path) -> TiledExport:
    points, colours, centre = red_patch_cloud()
    zup = np.column_stack([points[:, 0], -points[:, 2], points[:, 1]])
    las = _write_las(root / "yard.las", zup, colours)
    with Archive.create(root / "archive") as archive:
        item = add(archive, las, "other", title_vi="Sân đình", title_en="Temple yard", accession="S-9",
                   status="published", model_licence="CC-BY-4.0", model_credit="Bảo tàng Huế",
                   description_vi="Sân đất trước đình.", collections=["Đình làng"])
        archive.update_asset(archive.assets(item)[0]["id"], {"up_axis": "z", "units": "m"})
        at = [float(centre[0]), float(-centre[2]), float(centre[1])]  # the file's z-up coordinates
        eye = [at[0] - 6.0, at[1] - 6.0, at[2] + 5.0]
        archive.add_record(item, "annotation", [at], normal=[0.0, 0.0, 1.0], title_vi=PUBLIC_NOTE,
                           title_en="Red patch", text_vi="Đất đỏ.", public=True,
                           view={"eye": eye, "target": at, "up": [0, 0, 1], "fov": 40})
        archive.add_record(item, "annotation", [[at[0] + 3, at[1], at[2]]], title_vi=PRIVATE_NOTE)
        result = export_item(archive, item, root / "page", "html", "mobile")
    return TiledExport(root / "archive", item, result.files[0].parent, result.files[1], result.notes, centre)
