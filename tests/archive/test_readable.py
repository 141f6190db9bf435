"""Readable copies (archive.readable): a master whose side files are stored under portable names
(``aux.mtl`` → ``aux_~….mtl``, ``con.png`` → ``con_~….png``) is still read whole by every reader:
the archive's own readers (levels, export), the viewer's loader and the thumbnail renderer."""

from __future__ import annotations

import io
import json
import os
import struct
from pathlib import Path

import numpy as np
import pytest
import trimesh
from PIL import Image

from archive import Archive
from archive.levels import build_archive_levels, item_levels, read_level, read_master
from archive.portable import stored_names
from archive.readable import FOLDER
from archive.verify import verify

from .test_publish_support import add

COLOUR = (40, 200, 60)


def _sphere(subdivisions: int = 3) -> tuple[trimesh.Trimesh, np.ndarray]:
    mesh = trimesh.creation.icosphere(subdivisions=subdivisions, radius=40)
    return mesh, np.random.default_rng(0).random((len(mesh.vertices), 2))


def _png(path: Path) -> None:
    Image.new("RGB", (16, 16), COLOUR).save(path)


def obj_source(folder: Path, subdivisions: int = 3) -> Path:
    """``model.obj`` → ``mtllib aux.mtl`` → ``map_Kd con.png``: both names Windows cannot hold."""
    folder.mkdir(parents=True)
    mesh, uv = _sphere(subdivisions)
    lines = ["mtllib aux.mtl", *(f"v {x:.6f} {y:.6f} {z:.6f}" for x, y, z in mesh.vertices),
             *(f"vt {u:.6f} {v:.6f}" for u, v in uv), "usemtl skin",
             *(f"f {a}/{a} {b}/{b} {c}/{c}" for a, b, c in mesh.faces + 1)]
    (folder / "model.obj").write_text("\n".join(lines) + "\n")
    (folder / "aux.mtl").write_text("newmtl skin\nKd 1 1 1\nmap_Kd con.png\n")
    _png(folder / "con.png")
    return folder / "model.obj"


def gltf_source(folder: Path) -> Path:
    """A glTF whose buffers are ``com1.bin``… and whose image is ``con.png``."""
    folder.mkdir(parents=True)
    mesh, uv = _sphere()
    mesh.visual = trimesh.visual.TextureVisuals(uv=uv, image=Image.new("RGB", (16, 16), COLOUR))
    mesh.export(folder / "model.gltf")
    doc = json.loads((folder / "model.gltf").read_text())
    for i, buffer in enumerate(doc["buffers"]):
        (folder / buffer["uri"]).rename(folder / f"com{i + 1}.bin")
        buffer["uri"] = f"com{i + 1}.bin"
    doc["images"] = [{"uri": "con.png"}]
    _png(folder / "con.png")
    (folder / "model.gltf").write_text(json.dumps(doc))
    return folder / "model.gltf"


def glb_source(folder: Path) -> Path:
    """A GLB whose image is the external file ``a?b.png``."""
    folder.mkdir(parents=True)
    mesh, uv = _sphere()
    mesh.visual = trimesh.visual.TextureVisuals(uv=uv, image=Image.new("RGB", (16, 16), COLOUR))
    data = mesh.export(file_type="glb")
    size = struct.unpack_from("<I", data, 12)[0]
    doc = json.loads(data[20:20 + size])
    doc["images"] = [{"uri": "a%3Fb.png"}]  # written %-encoded, as glTF asks
    text = json.dumps(doc).encode()
    text += b" " * (-len(text) % 4)
    rest = data[20 + size:]
    (folder / "model.glb").write_bytes(struct.pack("<4sII", b"glTF", 2, 20 + len(text) + len(rest))
                                       + struct.pack("<I4s", len(text), b"JSON") + text + rest)
    _png(folder / "a?b.png")
    return folder / "model.glb"


def ply_source(folder: Path, name: str = "model.ply", texture: str = "con.png") -> Path:
    """A PLY with s/t coordinates and ``comment TextureFile <texture>``."""
    folder.mkdir(parents=True)
    mesh, uv = _sphere()
    mesh.visual = trimesh.visual.TextureVisuals(uv=uv, image=Image.new("RGB", (16, 16), COLOUR))
    data = mesh.export(file_type="ply")
    head, body = data.split(b"end_header\n", 1)
    head = head.replace(b"format binary_little_endian 1.0\n",
                        b"format binary_little_endian 1.0\ncomment TextureFile " + texture.encode() + b"\n")
    (folder / name).write_bytes(head + b"end_header\n" + body)
    _png(folder / texture.replace("<this>", Path(name).stem))
    return folder / name


SOURCES = {
    "obj": obj_source,
    "gltf": gltf_source,
    "glb": glb_source,
    "ply": ply_source,
    "ply-this": lambda folder: ply_source(folder, "aux.ply", "<this>.png"),  # both aux.ply and aux.png renamed
}


def _import(archive: Archive, path: Path) -> int:
    return add(archive, path, "relic", title_vi="Bát", accession=f"HUE-{path.suffix[1:].upper()}")


def _is_textured(geometry) -> bool:  # type: ignore[no-untyped-def]
    """Whether the master (or level) read shows the texture's colour: its texture, or colours."""
    if geometry.textured:
        rgb = np.asarray(geometry.texture.convert("RGB")).reshape(-1, 3).astype(int)
        return bool((np.abs(rgb - COLOUR).max(axis=1) <= 2).all())
    if geometry.colours is None:
        return False
    rgb = np.asarray(geometry.colours)[:, :3].astype(int)
    return bool((np.abs(rgb - COLOUR).max(axis=1) <= 2).all())


@pytest.mark.parametrize("kind", sorted(SOURCES))
def test_the_archive_reader_finds_side_files_stored_under_other_names(tmp_path, kind):
    with Archive.create(tmp_path / "archive") as archive:
        item_id = _import(archive, SOURCES[kind](tmp_path / "src"))
        asset = archive.assets(item_id)[0]
        stored = {f["path"]: archive.store.asset_file(asset, f["path"]).name for f in asset["files"]}
        assert any(k.rsplit("/", 1)[-1] != v for k, v in stored.items()), stored  # some were renamed
        try:
            alone = _is_textured(read_master(archive.master_path(item_id)))
        except Exception:  # noqa: BLE001 - a glTF without its buffers cannot be read at all
            alone = False
        assert not alone  # what the readers got before: the stored master, its side files not found
        assert _is_textured(read_master(archive.readable_master(item_id)))


@pytest.fixture
def obj_archive(tmp_path: Path):
    with Archive.create(tmp_path / "archive") as archive:
        item_id = _import(archive, obj_source(tmp_path / "src", subdivisions=4))
        yield archive, item_id


def test_the_readable_copy_links_originals_rewrites_references_and_is_made_once(obj_archive):
    archive, item_id = obj_archive
    asset = archive.assets(item_id)[0]
    readable = archive.readable(asset)
    uid = asset["uid"]
    assert readable.main == archive.store.derived / FOLDER / uid / "model.obj"
    mtl, png = (archive.store.asset_file(asset, n) for n in ("aux.mtl", "con.png"))
    assert mtl.name.startswith("aux_~") and png.name.startswith("con_~")
    assert f"mtllib {mtl.name}\n" in readable.main.read_text()
    assert readable.files["aux.mtl"].read_text() == f"newmtl skin\nKd 1 1 1\nmap_Kd {png.name}\n"
    assert os.path.samefile(readable.files["con.png"], png)  # a hard link, not a copy
    marker = archive.store.derived / FOLDER / f"{uid}.json"
    assert json.loads(marker.read_text())["rewritten"] == ["aux.mtl", "model.obj"]
    made = readable.main.stat().st_mtime_ns
    assert archive.readable(asset) == readable and readable.main.stat().st_mtime_ns == made  # not made again
    assert verify(archive).ok  # the originals themselves are untouched


def test_without_hard_links_the_copy_holds_copies(obj_archive, monkeypatch):
    from archive import readable as module

    monkeypatch.setattr(module, "hard_link", lambda src, dst: False)  # a FAT/exFAT drive
    archive, item_id = obj_archive
    readable = archive.readable(archive.assets(item_id)[0])
    png = archive.store.asset_file(archive.assets(item_id)[0], "con.png")
    assert not os.path.samefile(readable.files["con.png"], png)
    assert readable.files["con.png"].read_bytes() == png.read_bytes()
    assert not list(readable.files["con.png"].parent.glob(".*.tmp"))


def test_a_lost_or_partial_copy_is_made_again(obj_archive):
    archive, item_id = obj_archive
    asset = archive.assets(item_id)[0]
    first = archive.readable(asset)
    (archive.store.derived / FOLDER / f"{asset['uid']}.json").unlink()  # stopped before its marker
    first.files["aux.mtl"].unlink()
    again = archive.readable(asset)
    assert again == first and _is_textured(read_master(again.main))


def test_a_renamed_file_nobody_names_needs_no_copy(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    (src / "PRN.obj").write_text("v 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 2 3\n")
    with Archive.create(tmp_path / "archive") as archive:
        item_id = _import(archive, src / "PRN.obj")
        assert archive.readable_master(item_id) == archive.master_path(item_id)
        assert not (archive.store.derived / FOLDER / archive.assets(item_id)[0]["uid"]).exists()


def test_a_file_the_rewriter_cannot_parse_is_read_as_it_is(tmp_path):
    from archive.readable import readable_asset

    folder = tmp_path / "objects" / "ab" / "abcd"
    folder.mkdir(parents=True)
    (folder / "model.gltf").write_text('{"buffers": [{"uri": "con.png"')  # cut short
    (folder / stored_names(["con.png"])["con.png"]).write_bytes(b"x")
    asset = {"uid": "abcd", "storage_dir": "objects/ab/abcd", "main_file": "model.gltf",
             "files": [{"path": "model.gltf"}, {"path": "con.png"}]}
    readable = readable_asset(tmp_path, tmp_path / "derived", asset)
    assert readable.main == folder / "model.gltf"  # the reader reports the damage in its own words
    assert not list((tmp_path / "derived" / FOLDER).glob(".*"))  # no temporary file left behind


def test_a_read_only_archive_makes_its_copy_outside_the_archive(obj_archive):
    archive, item_id = obj_archive
    archive.read_only = True  # what Archive.open sets on read-only media
    path = archive.readable_master(item_id)
    assert not path.is_relative_to(archive.root) and not (archive.store.derived / FOLDER).exists()
    assert _is_textured(read_master(path))


def test_levels_carry_the_texture(obj_archive):
    archive, item_id = obj_archive
    report = build_archive_levels(archive, [item_id], targets=(1000,))
    assert report.built == [item_id], report
    (level,) = item_levels(archive, item_id)
    kept = read_level(level.path)
    assert kept.textured and _is_textured(kept)


def test_the_viewer_loader_gets_the_textured_mesh(obj_archive):
    from viewer import load_model_isolated

    archive, item_id = obj_archive
    stored = load_model_isolated(archive.master_path(item_id))
    assert not stored.geometry.has_textures()  # the stored master alone: its texture is not found
    model = load_model_isolated(archive.readable_master(item_id))
    assert model.geometry.has_textures()
    texture = np.asarray(model.geometry.textures[0])[..., :3]
    assert (np.abs(texture.reshape(-1, 3).astype(int) - COLOUR).max(axis=1) <= 2).all()


def _green_share(png: bytes) -> float:
    img = np.asarray(Image.open(io.BytesIO(png)).convert("RGB"), dtype=int)
    r, g, b = img[..., 0], img[..., 1], img[..., 2]
    return float(((g > r + 60) & (g > b + 60)).mean())


@pytest.mark.gl
def test_the_thumbnail_shows_the_texture_colour(obj_archive):
    from viewer import render_thumbnail

    archive, item_id = obj_archive
    assert _green_share(render_thumbnail(archive.master_path(item_id), 128)) < 0.01  # untextured grey
    assert archive.ensure_thumbnails(lambda path: render_thumbnail(path, 128), [item_id]) == 1
    thumbnail = archive.thumbnail_path(item_id)
    assert thumbnail is not None and _green_share(thumbnail.read_bytes()) > 0.15
