"""Small scans made by our own code, for tests that must not depend on the corpus."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import trimesh
from PIL import Image


def write_box_ply(folder: Path, name: str = "box.ply", size: float = 10.0) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    trimesh.creation.box(extents=[size, size * 2, size * 3]).export(path)
    return path


def write_textured_obj(folder: Path, name: str = "vase.obj") -> Path:
    """An OBJ with its MTL and PNG texture beside it (trimesh names them material.*)."""
    folder.mkdir(parents=True, exist_ok=True)
    mesh = trimesh.creation.cylinder(radius=5, height=10, sections=24)
    uv = np.random.default_rng(0).random((len(mesh.vertices), 2))
    mesh.visual = trimesh.visual.TextureVisuals(uv=uv, image=Image.new("RGB", (32, 32), (20, 60, 160)))
    path = folder / name
    mesh.export(path)
    return path


def write_point_cloud(folder: Path, name: str = "cloud.ply", n: int = 500) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(1)
    colours = rng.integers(0, 255, (n, 4)).astype(np.uint8)
    path = folder / name
    trimesh.PointCloud(rng.random((n, 3)), colors=colours).export(path)
    return path
