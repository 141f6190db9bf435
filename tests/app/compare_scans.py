"""Scans for comparison tests and screenshots: a sphere in millimetres and a copy of it with a
dent of known depth, imported as two master versions of one item (no Qt here)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import trimesh

from archive import Archive, ImportOptions

RADIUS = 50.0  # mm
DENT_DEPTH = 4.0  # mm
DENT_ANGLE = 20.0  # degrees around +Z


def dented(mesh: trimesh.Trimesh, depth: float = DENT_DEPTH) -> tuple[trimesh.Trimesh, np.ndarray]:
    """A copy of the sphere ``mesh`` pushed in by ``depth`` around +Z, and which vertices moved."""
    v = mesh.vertices.copy()
    direction = v / np.linalg.norm(v, axis=1, keepdims=True)
    cap = direction @ np.array([0, 0, 1.0]) > np.cos(np.radians(DENT_ANGLE))
    weight = np.clip((direction[cap] @ np.array([0, 0, 1.0]) - np.cos(np.radians(DENT_ANGLE))) /
                     (1 - np.cos(np.radians(DENT_ANGLE))), 0, 1) ** 0.5
    v[cap] -= direction[cap] * depth * weight[:, None]
    return trimesh.Trimesh(v, mesh.faces, process=False), cap


def write_versions(folder: Path, subdivisions: int = 4) -> tuple[Path, Path]:
    """``sphere.ply`` and ``sphere-dented.ply`` (the second a little moved, as a new scan is)."""
    folder.mkdir(parents=True, exist_ok=True)
    sphere = trimesh.creation.icosphere(subdivisions=subdivisions, radius=RADIUS)
    dent, _cap = dented(sphere)
    move = trimesh.transformations.rotation_matrix(np.radians(2.0), (1, 0, 0))
    move[:3, 3] = (0.6, -0.4, 0.3)
    dent.apply_transform(move)
    first, second = folder / "sphere.ply", folder / "sphere-dented.ply"
    sphere.export(first)
    dent.export(second)
    return first, second


def import_versions(archive: Archive, folder: Path, subdivisions: int = 4) -> int:
    """An item whose master is the sphere, then the dented sphere as its second version."""
    first, second = write_versions(folder, subdivisions)
    units = {"units": "mm"}
    report = archive.import_paths([first], ImportOptions(title="Bình gốm (so sánh)", asset_fields=units))
    assert not report.errors, report.errors
    item = report.imported[0]
    again = archive.import_paths([second], ImportOptions(item_id=item, asset_fields=units))
    assert not again.errors, again.errors
    return item
