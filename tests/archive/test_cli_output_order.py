"""What ``heritage list``, ``heritage annotations`` and ``heritage open-data`` print (heritage_app.records_cli,
heritage_app.publish_cli): the record count on its own line after the records, even when stdout
and stderr share one pipe; open-data's annotation count and the notes on records it left out."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from archive import Archive, ImportOptions
from heritage_app.cli import main

from .helpers import write_box_ply


def _box_archive(tmp_path: Path, status: str = "draft") -> tuple[Path, int]:
    root = tmp_path / "arch"
    with Archive.create(root) as archive:
        report = archive.import_paths([write_box_ply(tmp_path / "scans")], ImportOptions(
            asset_fields={"units": "mm"}, item_fields={"accession": "R-1", "title_vi": "Hộp", "status": status}))
        assert report.imported == [1], report.errors
    return root, 1


def test_the_record_count_follows_the_records_on_a_shared_pipe(tmp_path: Path):
    root, item = _box_archive(tmp_path)
    with Archive.open(root) as archive:
        for title in ("Vết nứt", "Đỉnh"):
            archive.add_record(item, "landmark", [[0.0, 0.0, 15.0]], title_vi=title)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}  # stdout buffered, as for users
    done = subprocess.run([sys.executable, "-c", "import sys; from heritage_app.cli import main; sys.exit(main())",
                           "--archive", str(root), "annotations", str(item)],
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env, text=True, encoding="utf-8",
                          cwd=Path(__file__).resolve().parents[2], timeout=120)
    assert done.returncode == 0, done.stdout
    lines = done.stdout.splitlines()
    assert lines[-1] == "2 record(s)"
    assert "Vết nứt" in lines[-3] and "Đỉnh" in lines[-2] and all(line.endswith("(0, 0, 15)") for line in lines[-3:-1])


def test_the_item_count_follows_the_rows_on_a_shared_pipe(tmp_path: Path):
    root, _ = _box_archive(tmp_path)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}  # stdout buffered, as for users
    done = subprocess.run([sys.executable, "-c", "import sys; from heritage_app.cli import main; sys.exit(main())",
                           "--archive", str(root), "list"],
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env, text=True, encoding="utf-8",
                          cwd=Path(__file__).resolve().parents[2], timeout=120)
    assert done.returncode == 0, done.stdout
    lines = done.stdout.splitlines()
    assert lines[-1] == "1 item(s)" and "R-1" in lines[-2] and "Hộp" in lines[-2]


def test_open_data_prints_the_annotations_published_and_those_left_out(tmp_path: Path, capsys):
    root, item = _box_archive(tmp_path, status="published")
    with Archive.open(root) as archive:
        archive.add_record(item, "landmark", [[0.0, 0.0, 15.0]], title_en="Top", public=True)
        flagged = archive.add_record(item, "landmark", [[0.0, 0.0, -15.0]], title_en="Bottom", public=True)
        archive.update_record(flagged, {"review": "needs_review"})
    code = main(["--archive", str(root), "open-data", "--out", str(tmp_path / "out")])
    out, err = capsys.readouterr()
    assert code == 0
    assert "1 published items, 1 annotation(s)" in out.splitlines()[0]
    assert "note: R-1: 1 public record(s) flagged for review after a new master version were left out" in err
