"""``heritage compare A B --save`` keeps a comparison of two archived scans in the archive, with its
derived files; ``heritage comparisons ITEM`` lists what was kept; ``--pair`` gives the coarse
alignment. Real scans (a sphere, then the sphere dented by 4 mm), real comparisons."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from archive import Archive
from heritage_app.cli import main
from tests.app.compare_scans import DENT_DEPTH, import_versions


@pytest.fixture
def archive_dir(tmp_path: Path) -> tuple[Path, int]:
    root = tmp_path / "archive"
    with Archive.create(root) as archive:
        item = import_versions(archive, tmp_path / "scans")
    return root, item


def test_compare_save_keeps_the_comparison_and_comparisons_lists_it(archive_dir, capsys):
    root, item = archive_dir
    assert main(["--archive", str(root), "compare", f"{item}:1", f"{item}:2", "--save", "--json"]) == 0
    kept = json.loads(capsys.readouterr().out)
    assert kept["asset_id"] != kept["compared_asset_id"] and kept["item_id"] == kept["compared_item_id"] == item
    assert kept["summary"]["unit"] == "mm" and kept["summary"]["tolerance"] == 0.5
    assert kept["summary"]["max"] == pytest.approx(DENT_DEPTH, rel=0.05)  # the dent, after alignment
    assert kept["summary"]["min_signed"] < 0  # material lost
    assert {"deviations.npz", "report.html", "histogram.png", "comparison.json"} <= set(kept["files"])
    assert kept["parameters"]["align"] == "auto" and kept["parameters"]["seed"] == 7
    assert main(["--archive", str(root), "comparisons", str(item), "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [c["id"] for c in listed] == [kept["id"]]
    assert main(["--archive", str(root), "comparisons", str(item)]) == 0
    line = capsys.readouterr().out
    assert " v2 (sphere-dented.ply) against " in line and " v1 (sphere.ply)" in line and "beyond 0.5 mm" in line
    with Archive.open(root) as archive:
        [event] = [e for e in archive.history(item) if e["type"] == "comparison_saved"]
        assert json.loads(event["detail"])["comparison"] == kept["id"]
        deviations = np.load(Path(kept["folder"]) / "deviations.npz")["deviations"]
        assert float(np.abs(deviations).max()) == pytest.approx(kept["summary"]["max"], rel=1e-5)


def test_compare_save_needs_two_archived_scans(archive_dir, tmp_path, capsys):
    root, item = archive_dir
    loose = tmp_path / "scans" / "sphere.ply"
    assert main(["--archive", str(root), "compare", f"{item}:1", str(loose), "--save"]) == 1
    assert "two ITEM_ID[:VERSION]" in capsys.readouterr().err
    with Archive.open(root) as archive:
        assert archive.comparisons(item) == []


def test_picked_pairs_on_the_command_line(archive_dir, capsys):
    root, item = archive_dir
    pairs = ["50,0,0=50.6,-0.4,0.3", "0,50,0=0.6,49.57,2.04", "-50,0,0=-49.4,-0.4,0.3"]
    args = ["--archive", str(root), "compare", f"{item}:1", f"{item}:2", "--json", "--no-icp"]
    assert main([*args, *[f"--pair={p}" for p in pairs]]) == 0
    record = json.loads(capsys.readouterr().out)
    assert record["parameters"]["align"] == "auto" and len(record["parameters"]["pairs"]) == 3
    assert abs(record["summary"]["mean"]) < 0.5  # the pairs alone put the scans within a fraction of a mm
    assert main([*args, "--pair", "1,2=3,4,5"]) == 1
    assert "AX,AY,AZ=BX,BY,BZ" in capsys.readouterr().err


def test_comparisons_of_an_unknown_item(archive_dir, capsys):
    root, _item = archive_dir
    assert main(["--archive", str(root), "comparisons", "999"]) == 1
    assert "There is no item 999" in capsys.readouterr().err
