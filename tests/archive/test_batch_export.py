"""A batch export finishes every item it can, reports each failure and leaves nothing of it."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from archive import Archive
from archive.publish import export_items
from archive.publish.public import master_asset
from heritage_app.cli import main

from .helpers import write_box_ply
from .test_publish_support import add


@pytest.fixture
def three_items(tmp_path: Path) -> tuple[Path, list[int]]:
    """Three boxes; the middle one's stored master is then damaged."""
    root = tmp_path / "archive"
    with Archive.create(root) as archive:
        ids = [add(archive, write_box_ply(tmp_path / f"src{n}", size=10.0 + n), "relic", accession=f"B-{n}",
                   title_vi=f"Hộp {n}") for n in range(3)]
        master = archive.asset_path(master_asset(archive.get(ids[1])))
    os.chmod(master, stat.S_IWUSR | stat.S_IRUSR)
    master.write_bytes(b"ply\nformat ascii 1.0\nelement vertex 3\nend_header\nnot numbers\n")
    return root, ids


def _listing(folder: Path) -> list[str]:
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*"))


@pytest.mark.parametrize("fmt", ["glb", "html"])
def test_batch_goes_on_after_a_failed_item(three_items, tmp_path: Path, fmt: str) -> None:
    root, ids = three_items
    out = tmp_path / "out"
    with Archive.open(root) as archive:
        report = export_items(archive, ids, out, fmt, "web")
    assert [r.item_id for r in report.results] == [ids[0], ids[2]]
    assert [f.item_id for f in report.failures] == [ids[1]] and not report.ok
    assert "b-1" not in " ".join(_listing(out))  # nothing of the failed item, not even a folder
    assert not list(out.glob(".*"))  # no scratch folder left behind
    assert all(f.exists() for r in report.results for f in r.files)


def test_cli_exports_the_rest_prints_each_failure_and_exits_1(three_items, tmp_path: Path, capsys) -> None:
    root, ids = three_items
    out = tmp_path / "out"
    code = main(["--archive", str(root), "export", str(ids[0]), "999", str(ids[1]), str(ids[2]), "--to", str(out),
                 "--validate", "no"])
    captured = capsys.readouterr()
    assert code == 1
    assert sorted(p.name for p in out.iterdir()) == ["b-0.glb", "b-2.glb"]
    errors = [line for line in captured.err.splitlines() if line.startswith("error:")]
    assert len(errors) == 2 and "item 999" in errors[0] and f"item {ids[1]}" in errors[1]
    assert f"item {ids[2]} ->" in captured.out


def test_a_batch_that_exports_nothing_leaves_no_empty_folder(three_items, tmp_path: Path) -> None:
    root, ids = three_items
    out = tmp_path / "new" / "out"
    assert main(["--archive", str(root), "export", "999", str(ids[1]), "--to", str(out)]) == 1
    assert not (tmp_path / "new").exists()
