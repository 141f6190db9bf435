"""The viewer reader's memory limit follows what an OBJ or glTF holds (issue 12): its faces,
its accessors and its textures decoded (from their headers), not the file's bytes; a file the
machine cannot hold is refused before reading, and running out while reading is a memory
error, not a "damaged file"."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import trimesh
from PIL import Image

from glbtools.contents import BYTES_PER_TEXEL
from viewer.errors import CorruptFile, ResourceLimit
from viewer.isolated import MEMORY_FLOOR, OBJ_BYTES_PER_FACE, expected_bytes, load_model_isolated, read_limits
from workers import job_limits

GIB = 1024**3


def _textured_obj(folder: Path, texture: tuple[int, int] = (512, 256), mode: str = "RGB") -> Path:
    """A textured icosphere (320 faces ``f v/t``) with its MTL and a PNG of ``texture`` pixels."""
    folder.mkdir(parents=True, exist_ok=True)
    sphere = trimesh.creation.icosphere(subdivisions=2)
    uv = (sphere.vertices[:, :2] + 1) / 2
    lines = ["mtllib scan.mtl", "usemtl scan"]
    lines += [f"v {x:.6f} {y:.6f} {z:.6f}" for x, y, z in sphere.vertices]
    lines += [f"vt {u:.6f} {v:.6f}" for u, v in uv]
    lines += ["f " + " ".join(f"{i + 1}/{i + 1}" for i in face) for face in sphere.faces]
    obj = folder / "scan.obj"
    obj.write_text("\n".join(lines) + "\n")
    (folder / "scan.mtl").write_text("newmtl scan\nKd 1 1 1\nmap_Kd scan.png\n")
    Image.new(mode, texture).save(folder / "scan.png")  # one colour: a few bytes whatever its size
    return obj


def test_obj_memory_counts_its_faces_and_its_texture_decoded(tmp_path):
    obj = _textured_obj(tmp_path)
    files = obj.stat().st_size + (tmp_path / "scan.mtl").stat().st_size
    assert 320 * OBJ_BYTES_PER_FACE > 4 * files  # the faces, not the bytes, decide here
    assert expected_bytes(obj) == 320 * OBJ_BYTES_PER_FACE + 512 * 256 * BYTES_PER_TEXEL


def test_an_obj_without_faces_keeps_four_times_its_files(tmp_path):
    obj = tmp_path / "points.obj"
    obj.write_text("v 0 0 0\n" * 1000)
    assert expected_bytes(obj) == 4 * obj.stat().st_size


def test_glb_memory_counts_its_accessors_and_its_embedded_texture(tmp_path):
    sphere = trimesh.creation.uv_sphere(count=[32, 32])
    uv = np.column_stack([sphere.vertices[:, 0] / 2 + 0.5, sphere.vertices[:, 2] / 2 + 0.5])
    sphere.visual = trimesh.visual.TextureVisuals(uv=uv, image=Image.new("RGB", (2048, 1024)))
    glb = tmp_path / "scan.glb"
    glb.write_bytes(sphere.export(file_type="glb"))
    assert 4 * glb.stat().st_size < 2048 * 1024 * BYTES_PER_TEXEL <= expected_bytes(glb)


def test_a_texture_the_machine_cannot_hold_is_refused_before_reading(tmp_path, monkeypatch):
    import viewer.isolated as isolated

    obj = _textured_obj(tmp_path, texture=(10_000, 10_000), mode="1")  # 800 MB decoded, a tiny PNG
    with pytest.raises(ResourceLimit, match=r"scan\.obj needs about 2\.\d GiB .* use 2\.4 GiB"):
        read_limits(obj, total=3 * GIB)
    assert read_limits(obj, total=8 * GIB).memory >= MEMORY_FLOOR + 2 * 10_000**2 * BYTES_PER_TEXEL
    monkeypatch.setattr(isolated, "job_limits", lambda *a, **k: job_limits(*a, **{**k, "total": 3 * GIB}))
    monkeypatch.setattr(isolated, "_run", lambda *a, **k: pytest.fail("the worker must not start"))
    with pytest.raises(ResourceLimit, match="Open a lighter level of detail"):
        load_model_isolated(obj)


def _out_of_memory(*_args: object, **_kwargs: object) -> None:
    raise MemoryError("Unable to allocate 274. MiB for an array")


def test_running_out_while_reading_is_not_called_a_damaged_file(tmp_path, monkeypatch):
    from viewer import readers
    from viewer.loading import load_model

    obj = _textured_obj(tmp_path)
    monkeypatch.setitem(readers.READERS, ".obj", _out_of_memory)
    with pytest.raises(MemoryError):  # the isolated worker turns it into ResourceLimit
        load_model(obj)


def test_trimesh_running_out_is_not_called_a_damaged_file(tmp_path, monkeypatch):
    from viewer.readers import read_with_trimesh

    obj = _textured_obj(tmp_path)
    monkeypatch.setattr(trimesh, "load", _out_of_memory)
    with pytest.raises(MemoryError):
        read_with_trimesh(obj)
    monkeypatch.setattr(trimesh, "load", lambda *a, **k: (_ for _ in ()).throw(KeyError("broken")))
    with pytest.raises(CorruptFile):  # other failures still are
        read_with_trimesh(obj)


def test_the_small_textured_obj_reads_under_its_counted_limit(tmp_path):
    obj = _textured_obj(tmp_path)
    model = load_model_isolated(obj)
    assert len(model.triangles) == 320 and model.geometry.has_triangle_uvs()
