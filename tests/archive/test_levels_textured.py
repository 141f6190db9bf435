"""Levels of detail of textured masters keep texture coordinates and the texture (issue 12)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from archive import Archive
from archive.errors import CorruptFile
from archive.levels import (
    baked_texture_levels,
    build_archive_levels,
    build_levels,
    find_levels,
    item_levels,
    plain_textured_levels,
    read_level,
)
from glbtools import leveltexture
from glbtools.levelfile import LevelFileError, read_level_arrays

from .test_publish_support import add

SHA = "cd" * 32
N = 40  # grid cells per side of each plane: 3,200 triangles a plane


def _grid(offset: float, n: int = N) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A wavy n x n plane at x offset ``offset``: vertices, uv (= position across the plane, v up), faces."""
    i, j = np.meshgrid(np.arange(n + 1), np.arange(n + 1), indexing="ij")
    u, v = i.ravel() / n, j.ravel() / n
    vertices = np.column_stack([u + offset, v, 0.05 * np.sin(6 * u) * np.cos(5 * v)])
    quads = (i[:-1, :-1] * (n + 1) + j[:-1, :-1]).ravel()
    faces = np.concatenate([np.column_stack([quads, quads + n + 1, quads + 1]),
                            np.column_stack([quads + 1, quads + n + 1, quads + n + 2])])
    return vertices, np.column_stack([u, v]), faces


def textured_obj(folder: Path, colours: tuple[tuple[int, int, int], ...] = ((220, 30, 30),),
                 size: int = 64, gradient: bool = False) -> Path:
    """An OBJ of one wavy plane per colour, each with its own material and texture (a flat
    colour, or with ``gradient`` a red-green ramp along u and v)."""
    folder.mkdir(parents=True, exist_ok=True)
    obj, mtl = ["mtllib scan.mtl"], []
    base = 0
    for k, colour in enumerate(colours):
        img = np.zeros((size, size, 3), np.uint8)
        img[:] = colour
        if gradient:
            ramp = np.linspace(0, 255, size)
            img[..., 0] = ramp[None, :]  # red grows with u
            img[..., 1] = ramp[::-1, None]  # green grows with v (image rows run down)
        Image.fromarray(img).save(folder / f"tex{k}.png")
        mtl += [f"newmtl m{k}", "Kd 1 1 1", f"map_Kd tex{k}.png"]
        vertices, uv, faces = _grid(1.2 * k)
        obj += [f"v {x:.6f} {y:.6f} {z:.6f}" for x, y, z in vertices]
        obj += [f"vt {a:.6f} {b:.6f}" for a, b in uv]
        obj += [f"usemtl m{k}"]
        obj += ["f " + " ".join(f"{c + 1 + base}/{c + 1 + base}" for c in tri) for tri in faces]
        base += len(vertices)
    (folder / "scan.mtl").write_text("\n".join(mtl) + "\n")
    path = folder / "scan.obj"
    path.write_text("\n".join(obj) + "\n")
    return path


def _sample(image: Image.Image, uv: np.ndarray) -> np.ndarray:
    """(n, 3) colours of ``image`` at texture coordinates ``uv`` (v down, as MasterGeometry keeps them)."""
    img = np.asarray(image.convert("RGB")).astype(int)
    h, w = img.shape[:2]
    x = np.clip((uv[:, 0] * w).astype(int), 0, w - 1)
    y = np.clip((uv[:, 1] * h).astype(int), 0, h - 1)
    return img[y, x]


def test_levels_keep_texture_coordinates_that_follow_the_surface(tmp_path: Path) -> None:
    levels = build_levels(textured_obj(tmp_path, gradient=True), SHA, tmp_path / "lv", targets=(1000, 300))
    assert [lv.level for lv in levels] == [1, 2] and 900 <= levels[0].triangles <= 1000 and levels[1].triangles <= 300
    for lv in levels:
        g = read_level(lv.path)
        assert g.textured and g.colours is None and g.uv is not None and g.uv.dtype == np.float32
        expected = np.column_stack([g.vertices[:, 0] - g.vertices[:, 0].min(), 1.0 - g.vertices[:, 1]])
        # each kept vertex carries the coordinates of an original vertex near it (a few cells at most)
        assert np.abs(g.uv - expected).max() < 4.0 / N
        colour = _sample(g.texture, g.uv)
        assert np.abs(colour[:, 0] - expected[:, 0] * 255).max() < 40  # the ramp is where it was


def test_several_textures_are_packed_into_one_atlas(tmp_path: Path) -> None:
    colours = ((220, 30, 30), (30, 30, 220), (30, 200, 30))
    (level,) = build_levels(textured_obj(tmp_path, colours), SHA, tmp_path / "lv", targets=(2000,))
    g = read_level(level.path)
    assert g.textured and g.texture.size == (128, 128)  # a 2 x 2 grid of 64-pixel cells

    plane = np.round((g.vertices[:, 0] - g.vertices[:, 0].min()) / 1.2 - 0.4).astype(int)
    got = _sample(g.texture, g.uv)
    for k, colour in enumerate(colours):
        assert np.abs(got[plane == k] - colour).max() <= 8, k  # each plane still shows its own texture


def test_coarser_levels_carry_a_smaller_texture(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(leveltexture, "LEVEL_TEXTURE_PX", (64, 32, 16))
    levels = build_levels(textured_obj(tmp_path, size=256), SHA, tmp_path / "lv", targets=(1500, 600, 200))
    sizes = [read_level(lv.path).texture.size for lv in levels]
    assert sizes == [(64, 64), (32, 32), (16, 16)]
    assert all(read_level_arrays(lv.path).texture.endswith(".jpg") for lv in levels)  # type: ignore[union-attr]


def test_a_level_whose_texture_is_lost_is_made_again(tmp_path: Path) -> None:
    obj = textured_obj(tmp_path)
    levels = build_levels(obj, SHA, tmp_path / "lv", targets=(1000, 300))
    texture = tmp_path / "lv" / read_level_arrays(levels[0].path).texture  # type: ignore[operator]
    texture.unlink()
    assert [lv.level for lv in find_levels(tmp_path / "lv", SHA)] == [2]
    with pytest.raises(CorruptFile, match="texture"):
        read_level(levels[0].path)
    again = build_levels(obj, SHA, tmp_path / "lv", targets=(1000, 300))
    assert len(again) == 2 and texture.is_file() and read_level(again[0].path).textured


def test_a_broken_texture_is_a_clear_error_for_the_next_level(tmp_path: Path) -> None:
    levels = build_levels(textured_obj(tmp_path), SHA, tmp_path / "lv", targets=(1000,))
    texture = tmp_path / "lv" / read_level_arrays(levels[0].path).texture  # type: ignore[operator]
    texture.write_bytes(b"not a picture")
    with pytest.raises(CorruptFile, match="texture cannot be read"):
        read_level(levels[0].path)


def test_a_texture_name_that_is_a_path_is_refused(tmp_path: Path) -> None:
    (level,) = build_levels(textured_obj(tmp_path), SHA, tmp_path / "lv", targets=(1000,))
    data = level.path.read_bytes()
    name = read_level_arrays(level.path).texture
    assert name is not None
    hostile = data.replace(f"TextureFile {name}".encode(), b"TextureFile ../../" + b"x" * (len(name) - 6))
    level.path.write_bytes(hostile)
    with pytest.raises(LevelFileError, match="texture"):
        read_level_arrays(level.path)


def _archive(tmp_path: Path) -> tuple[Archive, int]:
    archive = Archive.create(tmp_path / "archive")
    return archive, add(archive, textured_obj(tmp_path / "src"), "relic", title_vi="Bát", accession="HUE-T1")


def test_levels_made_before_textures_were_kept_are_made_again(tmp_path: Path) -> None:
    archive, item_id = _archive(tmp_path)
    with archive:
        assert build_archive_levels(archive, [item_id], targets=(1000,)).built == [item_id]
        (level,) = item_levels(archive, item_id)
        manifest = level.path.with_name(level.path.name.split(".")[0] + ".json")
        data = json.loads(manifest.read_text())
        assert data["textured"] is True and plain_textured_levels(level.path.parent, data["sha256"])
        for key in ("textured", "other_material"):  # what a manifest of the baked levels held
            del data[key]
        manifest.write_text(json.dumps(data))
        assert baked_texture_levels(level.path.parent, data["sha256"])
        assert build_archive_levels(archive, [item_id], targets=(1000,)).built == [item_id]
        assert json.loads(manifest.read_text())["textured"] is True


def test_a_web_copy_of_a_textured_master_starts_from_its_textured_level(tmp_path: Path) -> None:
    from archive.publish.export import choose_web_level, export_item
    from archive.publish.profiles import Profile

    archive, item_id = _archive(tmp_path)
    with archive:
        build_archive_levels(archive, [item_id], targets=(1000,))
        profile = Profile("t", "t", max_triangles=500, max_texture_px=2048)
        asset = archive.get(item_id)["assets"][0]
        assert asset["textured"] and choose_web_level(archive, item_id, asset, profile) is not None
        assert choose_web_level(archive, item_id, asset, Profile("t", "t", max_triangles=500)) is None  # any size
        result = export_item(archive, item_id, tmp_path / "out", "glb", profile)
        assert any("level of detail" in note for note in result.notes)
        import trimesh

        scene = trimesh.load(next((tmp_path / "out").rglob("*.glb")), force="scene")
        (mesh,) = scene.geometry.values()
        assert mesh.visual.uv is not None and mesh.visual.material.baseColorTexture is not None


@pytest.mark.parametrize("corner", ["{0}/{0}", "{0}/{0}/{0}"])
def test_the_fast_obj_reader_gives_what_trimesh_gives(tmp_path: Path, corner: str) -> None:
    from archive.publish.geometry import read_with_trimesh
    from archive.publish.objtextured import textured_obj_parts

    path = textured_obj(tmp_path, gradient=True)
    lines = path.read_text().splitlines()
    if corner != "{0}/{0}":  # the same file with a normal index on every corner
        def with_normals(line: str) -> str:
            return "f " + " ".join(corner.format(c.split("/")[0]) for c in line.split()[1:])

        lines = [with_normals(ln) if ln.startswith("f ") else ln for ln in lines] + ["vn 0 0 1"] * 2000
        path.write_text("\n".join(lines) + "\n")
    (fast,), (slow,) = textured_obj_parts(path), read_with_trimesh(path)  # type: ignore[misc]
    assert fast.faces.shape == slow.faces.shape and fast.image.size == slow.image.size
    corners = [np.column_stack([p.vertices[p.faces.ravel()], p.uv[p.faces.ravel()]]) for p in (fast, slow)]
    assert np.abs(corners[0] - corners[1]).max() < 1e-6  # the same corners, in the same order


@pytest.mark.parametrize("change", ["two materials", "a quad", "no texture coordinates", "relative indices"])
def test_the_fast_obj_reader_leaves_other_files_to_trimesh(tmp_path: Path, change: str) -> None:
    from glbtools.objfast import read_textured_obj

    path = textured_obj(tmp_path)
    text = path.read_text()
    first_face = next(ln for ln in text.splitlines() if ln.startswith("f "))
    changed = {"two materials": text + "usemtl other\nf 1/1 2/2 3/3\n",
               "a quad": text + "f 1/1 2/2 3/3 4/4\n",
               "no texture coordinates": text.replace(first_face, "f 1//1 2//2 3//3"),
               "relative indices": text + "f -1/-1 -2/-2 -3/-3\n"}[change]
    path.write_text(changed)
    assert read_textured_obj(path) is None


def test_a_textured_master_with_more_material_than_its_texture_is_exported_from_the_master(tmp_path: Path) -> None:
    from archive.publish.export import choose_web_level
    from archive.publish.profiles import Profile

    src = textured_obj(tmp_path / "src")
    # a normal map too: the web copy must keep it
    (src.parent / "scan.mtl").write_text("newmtl m0\nKd 1 1 1\nmap_Kd tex0.png\nmap_Bump tex0.png\n")
    with Archive.create(tmp_path / "archive") as archive:
        item_id = add(archive, src, "relic", title_vi="Bát", accession="HUE-T2")
        build_archive_levels(archive, [item_id], targets=(1000,))
        (level,) = item_levels(archive, item_id)
        assert read_level(level.path).textured  # the viewer still gets the texture
        asset = archive.get(item_id)["assets"][0]
        profile = Profile("t", "t", max_triangles=500, max_texture_px=2048)
        assert choose_web_level(archive, item_id, asset, profile) is None


def test_the_collapse_mapping_is_the_replays(tmp_path: Path) -> None:
    import fast_simplification

    from archive.publish.seams import collapse_mapping

    vertices, _, faces = _grid(0.0)
    unit, tris = vertices - vertices.mean(0), faces.astype(np.int32)
    points, reduced, collapses = fast_simplification.simplify(unit, tris, target_count=500, agg=2.0,
                                                              return_collapses=True)
    mapping = collapse_mapping(len(unit), tris, np.asarray(collapses), len(points), len(reduced))
    replayed, _, expected = fast_simplification.replay_simplification(unit, tris, collapses)
    assert mapping is not None and np.array_equal(mapping < 0, expected < 0)
    ok = expected >= 0
    assert np.abs(points[mapping[ok]] - replayed[expected[ok]]).max() < 1e-6
    assert collapse_mapping(len(unit), tris, np.asarray(collapses), len(points) + 1, len(reduced)) is None


def test_a_big_textured_mesh_is_decimated_in_blocks_without_cracks() -> None:
    from archive.publish.blocks_textured import decimate_textured_big

    n = 100  # 20,000 triangles in blocks of about 3,000
    vertices, uv, faces = _grid(0.0, n)
    # split the plane along a seam (u = 0.5): the vertices there twice, with their own coordinates
    seam = np.flatnonzero(np.isclose(vertices[:, 0], 0.5))
    copies = np.arange(len(vertices), len(vertices) + len(seam))
    remap = np.arange(len(vertices))
    remap[seam] = copies
    right = vertices[faces].mean(1)[:, 0] > 0.5
    faces = faces.copy()
    faces[right] = remap[faces[right]]
    vertices, uv = np.concatenate([vertices, vertices[seam]]), np.concatenate([uv, uv[seam] + [0.0, 0.0]])
    points, out, coords = decimate_textured_big(vertices.astype(np.float32), faces.astype(np.int32),
                                                uv.astype(np.float32), 2000, workers=1, per_block=3000)
    assert 1500 <= len(out) <= 2100
    off = np.abs(coords - points[:, :2])  # the coordinates follow the surface: mostly within a cell or
    assert np.percentile(off, 99) < 2.0 / n and off.max() < 8.0 / n  # two (one pass: 1.25 cells at most)
    # welded by position, the only open edges are along the plane's own rim: no crack at a cut or the seam
    _, index = np.unique(points, axis=0, return_inverse=True)
    welded = np.sort(index.ravel()[out], axis=1)
    edges = np.concatenate([welded[:, [0, 1]], welded[:, [1, 2]], welded[:, [0, 2]]])
    keys, counts = np.unique(edges, axis=0, return_counts=True)
    first = np.zeros(len(points), np.int64)
    first[index.ravel()[::-1]] = np.arange(len(points))[::-1]
    ends = points[first[keys[counts == 1]]][..., :2]  # (open edges, 2 ends, x y)
    from_rim = np.minimum(np.minimum(ends[..., 0], 1 - ends[..., 0]), np.minimum(ends[..., 1], 1 - ends[..., 1]))
    assert len(ends) and (from_rim.min(axis=1) < 0.1).all()


def test_a_textured_mesh_whose_one_pass_exceeds_the_workers_memory_goes_in_blocks(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from archive.publish import blocks_textured

    calls = []
    real = blocks_textured.decimate_textured_big

    def spy(*args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(len(args[1]))
        return real(*args, workers=1, per_block=1000)

    monkeypatch.setattr(blocks_textured, "decimate_textured_big", spy)
    obj = textured_obj(tmp_path, gradient=True)
    build_levels(obj, SHA, tmp_path / "roomy", targets=(1000,), memory=2 * 1024**3)
    assert calls == []  # one pass fits
    (level,) = build_levels(obj, SHA, tmp_path / "tight", targets=(1000,), memory=3200 * 100)
    assert calls == [3200]
    g = read_level(level.path)
    assert g.textured and level.triangles <= 1100
    expected = np.column_stack([g.vertices[:, 0] - g.vertices[:, 0].min(), 1.0 - g.vertices[:, 1]])
    assert np.abs(g.uv - expected).max() < 8.0 / N
