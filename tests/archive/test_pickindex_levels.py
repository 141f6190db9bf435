"""The master's pick index is built with its levels (derived/levels/<uid>/<sha>.pick.*), once,
for every master that has levels, including levels kept from before the index existed."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import trimesh

from archive import Archive
from archive.levels import build_archive_levels, build_levels
from archive.pickindex import find_pick_index, index_files

SHA = "ab" * 32
TARGETS = (4000, 1000)


def _sphere(folder: Path, name: str = "sphere.ply", subdivisions: int = 5) -> Path:
    path = folder / name
    trimesh.creation.icosphere(subdivisions=subdivisions).export(path)
    return path


def test_building_levels_builds_the_masters_index(tmp_path: Path) -> None:
    build_levels(_sphere(tmp_path), SHA, tmp_path / "lv", targets=TARGETS)
    manifest = find_pick_index(tmp_path / "lv", SHA)
    assert manifest is not None
    faces = np.load(index_files(tmp_path / "lv", SHA)["faces"])
    assert faces.shape == (20_480, 3)  # every triangle of the master, not of a level


def test_a_small_master_without_levels_gets_no_index(tmp_path: Path) -> None:
    assert build_levels(_sphere(tmp_path, subdivisions=2), SHA, tmp_path / "lv", targets=TARGETS) == []
    assert find_pick_index(tmp_path / "lv", SHA) is None


def test_levels_kept_without_an_index_get_one_and_the_archive_says_where(tmp_path: Path) -> None:
    archive = Archive.create(tmp_path / "arc")
    assert not archive.import_paths([_sphere(tmp_path)]).errors
    item_id = archive.search_ids()[0]
    assert archive.pick_index(item_id) is None
    assert build_archive_levels(archive, None, None, None, TARGETS).built == [item_id]
    manifest = archive.pick_index(item_id)
    assert manifest is not None and manifest.is_relative_to(archive.store.derived / "levels")
    for path in manifest.parent.glob("*.pick.*"):  # as an archive whose levels came before indexes
        path.unlink()
    assert archive.pick_index(item_id) is None
    again = build_archive_levels(archive, None, None, None, TARGETS)
    assert again.built == [item_id] and not again.failed
    assert archive.pick_index(item_id) == manifest
    assert build_archive_levels(archive, None, None, None, TARGETS).kept == [item_id]  # nothing more to do


def test_the_index_of_an_older_master_is_removed_with_its_levels(tmp_path: Path) -> None:
    folder = tmp_path / "lv"
    build_levels(_sphere(tmp_path), SHA, folder, targets=TARGETS)
    build_levels(_sphere(tmp_path, "other.ply", 6), "cd" * 32, folder, targets=TARGETS)
    assert find_pick_index(folder, "cd" * 32) is not None
    assert not [p for p in folder.iterdir() if p.name.startswith(SHA)]
