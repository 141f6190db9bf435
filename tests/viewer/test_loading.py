"""Every corpus file either loads or raises a typed ViewerError; known scans load fully."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

from viewer import CorruptFile, EmptyGeometry, FileMissing, UnsupportedFormat, ViewerError, load_model
from viewer.readers import READERS

GOOD = [  # path, kind, minimum primitives, textured, coloured
    ("pcx-guanyin/Guanyin.ply", "points", 238_000, False, True),
    ("odedstein-meshes/nefertiti/nefertiti-lowres.obj", "mesh", 70_000, False, False),
    ("odedstein-meshes/demosthenes/demosthenes-low-res.obj", "mesh", 16_000, False, False),
    ("ycb-pybullet/YcbBanana/textured_simple_reoriented.obj", "mesh", 15_000, True, False),
    ("gltf-sample-assets/DamagedHelmet/glTF-Binary/DamagedHelmet.glb", "mesh", 15_000, True, False),
    ("gltf-sample-assets/Avocado/glTF-Draco/Avocado.gltf", "mesh", 600, True, False),
    ("gltf-sample-assets/BoxTextured/glTF/BoxTextured.gltf", "mesh", 12, True, False),
    ("gltf-sample-assets/VertexColorTest/glTF-Binary/VertexColorTest.glb", "mesh", 36, True, False),
    ("pcl/milk_color.pcd", "points", 13_000, False, True),
    ("pcl/table_scene_mug_stereo_textured.pcd", "points", 100_000, False, True),
    ("pcl/bunny.pcd", "points", 397, False, False),
    ("trimesh/points_agisoft.xyz", "points", 100, False, True),
    ("trimesh/points_cloudcompare.xyz", "points", 100, False, True),
    ("trimesh/teapot.stl", "mesh", 800, False, False),
    ("assimp/STL/Spider_ascii.stl", "mesh", 1300, False, False),  # 56 degenerate faces dropped,
    ("assimp/OFF/Wuson.off", "mesh", 3700, False, False),
    ("assimp/PLY/float-color.ply", "mesh", 1, False, True),
    ("assimp/OBJ/box_UTF16BE.obj", "mesh", 12, False, False),
    ("trimesh/emptyIO/ply_points_bin.ply", "points", 8, False, False),
]

BAD = [  # path, error type
    ("assimp/invalid/empty.obj", EmptyGeometry),
    ("assimp/invalid/OutOfMemory.off", CorruptFile),
    ("assimp/invalid/crash-30d6d0f7c529b3b66b4131700b7a4580cd7082df.ply", CorruptFile),
    ("gltf-pipeline/1.0/box-textured-binary/box-textured-binary.glb", ViewerError),
    ("trimesh/empty.stl", EmptyGeometry),
    ("gltf-validator/glb/empty_file.glb", EmptyGeometry),
    ("assimp/OBJ/SpiderTex.jpg", UnsupportedFormat),
]


@pytest.mark.parametrize("rel, kind, minimum, textured, coloured", GOOD, ids=[g[0] for g in GOOD])
def test_scan_loads(corpus: Path, rel: str, kind: str, minimum: int, textured: bool,
                    coloured: bool) -> None:
    model = load_model(corpus / rel)
    assert model.kind == kind
    assert model.n_primitives >= minimum
    assert model.textured == textured
    assert model.has_colors == coloured
    assert np.isfinite(model.vertices).all()
    g = model.geometry
    assert g.has_vertex_normals() if kind == "mesh" else g.has_normals()


@pytest.mark.parametrize("rel, error", BAD, ids=[b[0] for b in BAD])
def test_bad_file_raises_typed_error(corpus: Path, rel: str, error: type) -> None:
    with pytest.raises(error) as info:
        load_model(corpus / rel)
    assert Path(rel).name in str(info.value) or "empty" in str(info.value).lower()


def _corpus_3d_files(root: Path) -> list[str]:
    manifest = root / "MANIFEST.tsv"
    if not manifest.exists():
        return []
    with open(manifest, encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh, delimiter="\t"))
    return [r["path"] for r in rows if Path(r["path"]).suffix.lower() in READERS]


def test_every_corpus_file_loads_or_raises_typed_error(corpus: Path) -> None:
    loaded, refused, other = 0, 0, []
    for rel in _corpus_3d_files(corpus):
        try:
            model = load_model(corpus / rel)
            assert model.n_primitives > 0
            loaded += 1
        except ViewerError:
            refused += 1
        except Exception as exc:  # noqa: BLE001 (anything untyped is a bug)
            other.append(f"{rel}: {type(exc).__name__}: {exc}")
    assert not other, "\n".join(other)
    assert loaded > 100 and refused > 10


def test_missing_file_is_typed(tmp_path: Path) -> None:
    with pytest.raises(FileMissing):
        load_model(tmp_path / "nope.ply")


def test_nan_vertices_are_dropped(tmp_path: Path) -> None:
    p = tmp_path / "nan.obj"
    p.write_text("v 0 0 0\nv 1 0 0\nv 0 1 0\nv nan 0 0\nf 1 2 3\nf 1 2 4\n")
    model = load_model(p)
    assert len(model.triangles) == 1
    assert model.warnings


def test_far_coordinates_are_recentred(corpus: Path) -> None:
    model = load_model(corpus / "trimesh/points_agisoft.xyz")
    assert np.abs(model.center).max() < 1000
    assert np.abs(model.origin).max() > 1e5


def test_gltf_vertex_colours_beside_a_material_are_kept(tmp_path):
    """Our web GLBs carry COLOR_0 and a material; trimesh files such colours away."""
    import numpy as np
    import trimesh

    from viewer import load_model

    mesh = trimesh.creation.icosphere(subdivisions=2)
    mesh.visual = trimesh.visual.TextureVisuals(material=trimesh.visual.material.PBRMaterial())
    colours = np.tile(np.array([200, 60, 20, 255], np.uint8), (len(mesh.vertices), 1))
    mesh.visual.vertex_attributes["color"] = colours
    path = tmp_path / "coloured.glb"
    path.write_bytes(trimesh.Scene(mesh).export(file_type="glb"))
    model = load_model(path)
    assert model.has_colors
    got = np.asarray(model.geometry.vertex_colors)
    assert np.allclose(got[0], [200 / 255, 60 / 255, 20 / 255], atol=0.01)
