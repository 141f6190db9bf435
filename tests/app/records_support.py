"""A scanned box to put research records on (tests of the records list and of records in the 3D view).

The box is 40 x 20 x 10 mm, far from the origin (the viewer moves such coordinates near it at
load: its offset is undone on the way back like its turn to Y-up)."""

from __future__ import annotations

from pathlib import Path

import trimesh

from archive import Archive, ImportOptions

CENTRE = (20000.0, 5000.0, 300.0)  # mm; far enough for the viewer's load offset (viewer.loading)
EXTENTS = (40.0, 20.0, 10.0)


def box_file(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    mesh = trimesh.creation.box(extents=EXTENTS)
    mesh.apply_translation(CENTRE)
    path = folder / "box.ply"
    mesh.export(path)
    return path


def import_box(root: Path, up_axis: str = "y", title: str = "Hộp đo") -> int:
    """Import the box into the archive at ``root`` as a relic whose master is Y-up or Z-up."""
    with Archive.open(root, agent="tester") as archive:
        report = archive.import_paths([box_file(root.parent / f"src-{up_axis}")], ImportOptions(
            kind="relic", title=title, asset_fields={"units": "mm", "up_axis": up_axis}, isolate=False))
        assert not report.errors, report.errors
        return report.imported[0]


def front_point(up_axis: str, across: float, up: float) -> list[float]:
    """A point (file frame) on the face the viewer's front view shows: ``across`` to the right
    of its centre and ``up`` above it. Y-up: the face at the highest z; Z-up: the one at the
    lowest y (the file's -y is the display's +z, towards the front camera)."""
    cx, cy, cz = CENTRE
    if up_axis == "z":
        return [cx + across, cy - EXTENTS[1] / 2, cz + up]
    return [cx + across, cy + up, cz + EXTENTS[2] / 2]


def front_normal(up_axis: str) -> list[float]:
    """That face's outward normal in the file's frame."""
    return [0.0, -1.0, 0.0] if up_axis == "z" else [0.0, 0.0, 1.0]
