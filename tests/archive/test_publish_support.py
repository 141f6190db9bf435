"""Helpers for the publishing tests (no tests here): archives with canaries, file scans."""

from __future__ import annotations

import base64
import io
import json
import struct
from pathlib import Path
from typing import Any

import numpy as np
import trimesh
from PIL import Image
from PIL.PngImagePlugin import PngInfo

from archive import Archive
from archive.fields import PRIVATE_FIELDS
from archive.importer import ImportOptions, import_paths

CANARIES = {name: f"CANARY-{name.upper()}-7f3a9" for name in sorted(PRIVATE_FIELDS)}
SECRET_LAT, SECRET_LON = 16.4713579, 107.5824681
XSS = "</script><script>alert(1)</script>"
IMAGE_CANARY = "CANARY-IMAGE-METADATA-31c4"
OPERATOR_CANARY = "CANARY-OPERATOR-88e1"


def textured_obj(folder: Path, size: int = 64) -> Path:
    """A textured OBJ whose PNG carries a private text chunk (as a camera app might write)."""
    folder.mkdir(parents=True, exist_ok=True)
    mesh = trimesh.creation.cylinder(radius=50, height=100, sections=32)
    uv = np.random.default_rng(0).random((len(mesh.vertices), 2))
    rng = np.random.default_rng(2)
    mesh.visual = trimesh.visual.TextureVisuals(uv=uv, image=Image.fromarray(
        rng.integers(0, 255, (size, size, 3), dtype=np.uint8)))
    mesh.export(folder / "vase.obj")
    png = next(folder.glob("*.png"))
    info = PngInfo()
    info.add_text("Comment", IMAGE_CANARY)
    with Image.open(png) as img:
        img.load()
        img.save(png, pnginfo=info)
    return folder / "vase.obj"


def coloured_ply(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    mesh = trimesh.creation.icosphere(subdivisions=3, radius=40)
    mesh.visual.vertex_colors = np.tile([200, 120, 40, 255], (len(mesh.vertices), 1)).astype(np.uint8)
    mesh.export(folder / "bowl.ply")
    return folder / "bowl.ply"


def point_cloud(folder: Path, n: int = 2000) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(3)
    trimesh.PointCloud(rng.random((n, 3)) * 100,
                       colors=rng.integers(0, 255, (n, 4)).astype(np.uint8)).export(folder / "cloud.ply")
    return folder / "cloud.ply"


def add(archive: Archive, path: Path, kind: str, **fields: Any) -> int:
    asset = {"units": "mm", "operator": OPERATOR_CANARY, "capture_method": "photogrammetry"}
    report = import_paths(archive, [path], ImportOptions(kind=kind, item_fields=fields, asset_fields=asset))
    assert not report.errors, report.errors
    return report.imported[0]


def canary_archive(root: Path) -> tuple[Archive, list[int]]:
    """A relic (textured, sensitive place), a dish (vertex colours) and a point cloud, every
    private field holding a canary; all published."""
    archive = Archive.create(root)
    common = {**CANARIES, "status": "published", "model_licence": "CC-BY-4.0", "model_credit": "Bảo tàng Huế",
              "collections": ["Thử nghiệm"]}
    ids = [
        add(archive, textured_obj(root.parent / "src1"), "relic", title_vi="Bình men lam", title_en="Blue vase",
            description_vi="Bình sứ.", materials=["sứ"], height=100, dimension_unit="mm",
            place_name="Đại Nội", place_lat=SECRET_LAT, place_lon=SECRET_LON, place_sensitive=True, **common),
        add(archive, coloured_ply(root.parent / "src2"), "dish", title_vi="Bún bò Huế", title_en="Hue beef noodles",
            ingredients=["bún", "bò"], steps=["Hầm xương.", "Chan nước."], prep_minutes=30, cook_minutes=120,
            region="Huế", **common),
        add(archive, point_cloud(root.parent / "src3"), "other", title_vi="Đám mây điểm", **common),
    ]
    return archive, ids


def glb_json(path: Path) -> dict[str, Any]:
    data = path.read_bytes()
    length = struct.unpack_from("<I", data, 12)[0]
    return json.loads(data[20:20 + length])


def all_text(path: Path) -> str:
    """Everything readable in a file: text, GLB JSON, base64 payloads decoded, image metadata."""
    data = path.read_bytes()
    parts = [data.decode("utf-8", errors="ignore")]
    if path.suffix == ".glb":
        parts.append(json.dumps(glb_json(path), ensure_ascii=False))
    if path.name.endswith(".glb.js"):
        b64 = data.split(b'"')[1]
        parts.append(base64.b64decode(b64).decode("utf-8", errors="ignore"))
    if path.suffix.lower() in (".png", ".jpg", ".jpeg"):
        with Image.open(io.BytesIO(data)) as img:
            parts.append(json.dumps({k: str(v) for k, v in img.info.items()}))
            parts.append(str(dict(img.getexif())))
    return "\n".join(parts)
