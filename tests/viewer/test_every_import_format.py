"""Every format accepted at import can be viewed, thumbnailed and exported (web GLB, validated,
and a model file of its own family).

Parametrised over the import table: a format added to ``archive.formats.IMPORT_FORMATS``
without a sample writer here, a viewer reader or an export reader makes these tests fail.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import trimesh

from archive import Archive
from archive.formats import IMPORT_FORMATS
from archive.publish import export_item, validate, validator_available
from archive.publish.formats import WRITERS
from archive.publish.glb import node_modules_dir
from tests.archive.test_publish_support import add
from viewer import load_model_isolated, render_thumbnail

N = 400
RNG = np.random.default_rng(7)
POINTS = RNG.uniform(-50, 50, (N, 3))
RGB = RNG.integers(0, 256, (N, 3), dtype=np.uint8)


def _mesh_scene() -> trimesh.Trimesh:
    mesh = trimesh.creation.box(extents=[40.0, 20.0, 10.0])
    mesh.visual.vertex_colors = np.tile([200, 120, 40, 255], (len(mesh.vertices), 1)).astype(np.uint8)
    return mesh


def _mesh(suffix: str) -> Callable[[Path], Path]:
    def write(folder: Path) -> Path:
        path = folder / f"sample{suffix}"
        exported = _mesh_scene().export(file_type=suffix[1:])
        if isinstance(exported, dict):  # .gltf: the JSON and its buffer
            for name, data in exported.items():
                (folder / ("sample.gltf" if name.endswith(".gltf") else name)).write_bytes(data)
        else:
            path.write_bytes(exported if isinstance(exported, bytes) else exported.encode())
        return path
    return write


def _ply_points(folder: Path) -> Path:
    trimesh.PointCloud(POINTS, colors=np.column_stack([RGB, np.full(N, 255, np.uint8)])).export(folder / "s.ply")
    return folder / "s.ply"


def _pcd(folder: Path) -> Path:  # binary_compressed: the LZF path
    import open3d as o3d

    cloud = o3d.geometry.PointCloud(o3d.utility.Vector3dVector(POINTS))
    cloud.colors = o3d.utility.Vector3dVector(RGB / 255.0)
    o3d.io.write_point_cloud(str(folder / "s.pcd"), cloud, compressed=True)
    return folder / "s.pcd"


def _xyz(folder: Path) -> Path:
    np.savetxt(folder / "s.xyz", np.column_stack([POINTS, RGB]), fmt="%.4f %.4f %.4f %d %d %d")
    return folder / "s.xyz"


def _pts(folder: Path) -> Path:
    rows = np.column_stack([POINTS, np.full(N, -1200), RGB])
    (folder / "s.pts").write_text(f"{N}\n" + "\n".join(" ".join(f"{v:g}" for v in r) for r in rows) + "\n")
    return folder / "s.pts"


def _e57(folder: Path) -> Path:
    import pye57

    e57 = pye57.E57(str(folder / "s.e57"), mode="w")
    e57.write_scan_raw({"cartesianX": POINTS[:, 0], "cartesianY": POINTS[:, 1], "cartesianZ": POINTS[:, 2],
                        "colorRed": RGB[:, 0], "colorGreen": RGB[:, 1], "colorBlue": RGB[:, 2]})
    e57.close()
    return folder / "s.e57"


def _lidar(suffix: str) -> Callable[[Path], Path]:
    def write(folder: Path) -> Path:
        import laspy

        las = laspy.create(point_format=2, file_version="1.2")
        las.header.scales = [0.001] * 3
        las.header.offsets = [0.0] * 3
        las.x, las.y, las.z = POINTS.T
        las.red, las.green, las.blue = (RGB.astype(np.uint16) * 257).T
        las.write(str(folder / f"s{suffix}"))
        return folder / f"s{suffix}"
    return write


SAMPLES: dict[str, Callable[[Path], Path]] = {
    "ply": _ply_points, "obj": _mesh(".obj"), "stl": _mesh(".stl"), "off": _mesh(".off"),
    "gltf": _mesh(".gltf"), "glb": _mesh(".glb"), "pcd": _pcd, "xyz": _xyz, "pts": _pts, "e57": _e57,
    "las": _lidar(".las"), "laz": _lidar(".laz"),
}  # fmt: skip


def _meshopt_glb(folder: Path) -> Path:
    gltfpack = node_modules_dir() / ".bin" / "gltfpack"
    if not gltfpack.exists() or shutil.which("node") is None:
        pytest.skip("gltfpack (scripts/node-deps.sh) is needed to write a meshopt-compressed GLB")
    plain = _mesh(".glb")(folder)
    out = folder / "meshopt.glb"
    subprocess.run([str(gltfpack), "-i", str(plain), "-o", str(out), "-c"], check=True, capture_output=True)
    plain.unlink()
    return out


CASES = [*IMPORT_FORMATS, "glb-meshopt"]


def test_every_import_format_has_a_sample() -> None:
    assert set(SAMPLES) == set(IMPORT_FORMATS)


@pytest.fixture(scope="module")
def imported(tmp_path_factory: pytest.TempPathFactory):
    """An archive with one item per case: case -> (archive, item id, master path)."""
    root = tmp_path_factory.mktemp("every-format")
    archive = Archive.create(root / "archive")
    items = {}
    with archive:
        for case in CASES:
            folder = root / "src" / case
            folder.mkdir(parents=True)
            try:
                path = _meshopt_glb(folder) if case == "glb-meshopt" else SAMPLES[case](folder)
            except pytest.skip.Exception:
                continue
            item = add(archive, path, "relic", accession=f"FMT-{case}", title_vi=case)
            asset = archive.get(item)["assets"][0]
            items[case] = (item, archive.asset_path(asset))
        yield archive, items


def _case(imported, case: str) -> tuple[Archive, int, Path]:
    archive, items = imported
    if case not in items:
        pytest.skip("gltfpack (scripts/node-deps.sh) is needed to write a meshopt-compressed GLB")
    item, path = items[case]
    return archive, item, path


@pytest.mark.parametrize("case", CASES)
def test_imported_format_can_be_viewed(imported, case: str) -> None:
    _, _, path = _case(imported, case)
    model = load_model_isolated(path)
    expected = "points" if case not in ("obj", "stl", "off", "gltf", "glb", "glb-meshopt") else "mesh"
    assert model.kind == expected


@pytest.mark.gl
@pytest.mark.parametrize("case", CASES)
def test_imported_format_can_be_thumbnailed(imported, case: str) -> None:
    _, _, path = _case(imported, case)
    png = render_thumbnail(path, 64)
    assert png.startswith(b"\x89PNG")


@pytest.mark.parametrize("case", CASES)
def test_imported_format_exports_to_web_glb_and_its_family(imported, case: str, tmp_path: Path) -> None:
    archive, item, _ = _case(imported, case)
    glb = export_item(archive, item, tmp_path, "glb")
    assert glb.web is not None and (glb.web.points if case in _POINT_CASES else glb.web.triangles) > 0
    family = case if case in WRITERS else ("ply" if case in _POINT_CASES else "obj")
    written = export_item(archive, item, tmp_path, family)
    assert written.main is not None and written.main.stat().st_size > 0
    if case in _POINT_CASES:
        assert glb.web.points == N
        if family in ("las", "laz"):  # a LAS/LAZ master goes back to LAS/LAZ at full resolution
            import laspy

            cloud = laspy.read(written.main)
            assert len(cloud.points) == N and int(cloud.red.max()) > 0  # colours kept
        else:
            text = written.main.read_bytes()[:400]
            assert f"element vertex {N}".encode() in text and b"red" in text  # colours kept
    if validator_available():
        report = validate([glb.main])[glb.main]
        assert report.errors == 0, report.summary()


_POINT_CASES = {"ply", "pcd", "xyz", "pts", "e57", "las", "laz"}
