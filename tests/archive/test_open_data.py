"""``heritage open-data``: a public-only SQLite database, Datasette metadata, DCAT and dumps.
No canary in any byte of any file; an unpublished item is absent; Datasette serves it (localhost)."""

from __future__ import annotations

import json
import shutil
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from archive.publish.opendata import write_open_data

from .test_publish_privacy import FORBIDDEN
from .test_publish_support import all_text, canary_archive

DRAFT_TITLE = "Bản nháp chưa công bố 4b1e"


@pytest.fixture(scope="module")
def opendata(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("opendata")
    archive, _ = canary_archive(root / "archive")
    with archive:
        archive.add_item({"kind": "relic", "title_vi": DRAFT_TITLE, "status": "draft", "materials": ["đồng"]})
        write_open_data(archive, root / "out")
    return root / "out"


def test_writes_every_file(opendata: Path) -> None:
    assert sorted(p.name for p in opendata.iterdir()) == sorted(
        ["heritage.db", "metadata.json", "dcat.jsonld", "items.csv", "assets.csv", "vocabulary.csv", "items.jsonld"])


def test_no_canary_in_any_byte(opendata: Path) -> None:
    leaks = [(p.name, c) for p in opendata.iterdir() for c in [*FORBIDDEN, DRAFT_TITLE] if c in all_text(p)]
    assert leaks == []


def test_database_has_published_items_with_labels_licence_and_credit(opendata: Path) -> None:
    with sqlite3.connect(opendata / "heritage.db") as db:
        db.row_factory = sqlite3.Row
        rows = [dict(r) for r in db.execute("select * from items order by id")]
        assets = [dict(r) for r in db.execute("select * from assets")]
        vocab = {(r["vocabulary"], r["value"]): r["label_en"] for r in db.execute("select * from vocabulary")}
    assert len(rows) == 3 and {r["kind_en"] for r in rows} == {"Relic", "Dish", "Other"}
    vase = next(r for r in rows if r["kind"] == "relic")
    assert json.loads(vase["materials_en"]) == ["porcelain"] and json.loads(vase["materials"]) == ["sứ"]
    assert vase["place_lat"] is None and vase["place_lon"] is None  # a sensitive place: no coordinates
    assert all(r["model_licence"] == "CC-BY-4.0" and r["model_credit"] == "Bảo tàng Huế" for r in rows)
    assert all(r["licence_url"] == "https://creativecommons.org/licenses/by/4.0/" for r in rows)
    assert len(assets) == 3 and all(a["credit"] == "Bảo tàng Huế" for a in assets)
    assert vocab[("materials", "đồng")] == "bronze"


def test_metadata_and_dcat(opendata: Path) -> None:
    meta = json.loads((opendata / "metadata.json").read_text(encoding="utf-8"))
    items = meta["databases"]["heritage"]["tables"]["items"]
    assert meta["license_url"].startswith("https://creativecommons.org/") and meta["title"]
    assert items["columns"]["materials"] == "Chất liệu / Materials" and "kind_en" in items["facets"]
    assert meta["databases"]["heritage"]["queries"]
    dcat = json.loads((opendata / "dcat.jsonld").read_text(encoding="utf-8"))
    assert dcat["@type"] == "dcat:Dataset"
    assert {d["dcat:downloadURL"]["@id"] for d in dcat["dcat:distribution"]} >= {"heritage.db", "items.csv"}


def test_refuses_a_folder_holding_other_files(tmp_path: Path, opendata: Path) -> None:
    from archive import Archive
    from archive.errors import SiteFolderInUse

    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "mine.txt").write_text("x")
    with Archive.create(tmp_path / "a") as archive, pytest.raises(SiteFolderInUse):
        write_open_data(archive, tmp_path / "out")
    assert (tmp_path / "out" / "mine.txt").read_text() == "x"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _datasette() -> list[str] | None:
    exe = Path(sys.executable).with_name("datasette")
    if exe.exists():
        return [str(exe)]
    found = shutil.which("datasette")
    return [found] if found else None


@pytest.mark.skipif(_datasette() is None, reason="datasette is not installed (pip install heritage-archive[publish])")
def test_datasette_serves_published_items(opendata: Path) -> None:
    port = _free_port()
    cmd = [*(_datasette() or []), str(opendata / "heritage.db"), "-m", str(opendata / "metadata.json"),
           "--host", "127.0.0.1", "--port", str(port)]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 60
        while True:
            try:
                urllib.request.urlopen(base + "/-/versions.json", timeout=2).read()
                break
            except OSError:
                assert proc.poll() is None, proc.stderr.read().decode() if proc.stderr else "datasette exited"
                assert time.time() < deadline, "datasette did not start"
                time.sleep(0.3)
        url = base + "/heritage/items.json?_shape=array&kind__exact=relic"
        relics = json.load(urllib.request.urlopen(url, timeout=10))
        assert [r["title_en"] for r in relics] == ["Blue vase"]
        everything = json.load(urllib.request.urlopen(base + "/heritage/items.json?_shape=array", timeout=10))
        assert len(everything) == 3 and DRAFT_TITLE not in json.dumps(everything, ensure_ascii=False)
        csv_text = urllib.request.urlopen(base + "/heritage/items.csv", timeout=10).read().decode("utf-8")
        assert "Blue vase" in csv_text and not any(c in csv_text for c in FORBIDDEN)
        query = json.load(urllib.request.urlopen(base + "/heritage/relics_by_period.json?_shape=array", timeout=10))
        assert isinstance(query, list)
    finally:
        proc.terminate()
        proc.wait(timeout=20)
