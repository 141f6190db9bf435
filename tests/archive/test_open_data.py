"""``heritage open-data``: a public-only SQLite database, Datasette metadata, DCAT and dumps.
No canary in any byte of any file (private research records included); an unpublished item is
absent; public annotations are there with their points in both frames; Datasette serves it
(localhost), the canned query for one item's annotations included."""

from __future__ import annotations

import json
import shutil
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
import sqlite_utils

from archive.publish.opendata import write_open_data

from .test_publish_privacy import FORBIDDEN, PUBLIC_NOTE, add_record_canaries
from .test_publish_support import all_text, canary_archive

DRAFT_TITLE = "Bản nháp chưa công bố 4b1e"
OPEN_DB = "heritage.db"


@pytest.fixture(scope="module")
def opendata(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("opendata")
    archive, ids = canary_archive(root / "archive")
    with archive:
        archive.add_item({"kind": "relic", "title_vi": DRAFT_TITLE, "status": "draft", "materials": ["đồng"]})
        add_record_canaries(archive, ids, root)
        archive.set_vocabulary_external_id("materials", "sứ", "wd:Q130693")
        write_open_data(archive, root / "out")
    return root / "out"


def test_writes_every_file(opendata: Path) -> None:
    assert sorted(p.name for p in opendata.iterdir()) == sorted(
        ["heritage.db", "metadata.json", "dcat.jsonld", "items.csv", "assets.csv", "annotations.csv", "vocabulary.csv",
         "items.jsonld", "vocabulary.jsonld"])


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


def test_annotations_table_holds_public_records_in_both_frames(opendata: Path) -> None:
    with sqlite3.connect(opendata / "heritage.db") as db:
        db.row_factory = sqlite3.Row
        rows = [dict(r) for r in db.execute("select * from annotations")]
        vase = db.execute("select id, accession from items where kind = 'relic'").fetchone()
        fks = db.execute("pragma foreign_key_list(annotations)").fetchall()
    assert len(rows) == 1  # the private annotation and measurement, and the draft item's note, are not there
    row = rows[0]
    assert (row["title_vi"], row["title_en"], row["text_en"]) == (PUBLIC_NOTE["title_vi"], PUBLIC_NOTE["title_en"],
                                                                PUBLIC_NOTE["text_en"])
    assert row["item_id"] == vase["id"] and row["accession"] == vase["accession"] and row["kind"] == "annotation"
    # recorded at (0, 0, 50) mm on a master whose up axis is y: the web model's frame is metres, y up
    assert json.loads(row["points_master"]) == [[0.0, 0.0, 50.0]] and row["master_unit"] == "mm"
    assert json.loads(row["points_m"]) == [[0.0, 0.0, 0.05]] and (row["x_m"], row["y_m"], row["z_m"]) == (0, 0, 0.05)
    assert json.loads(row["normal_m"]) == [0.0, 0.0, 1.0] and row["tour_stop"] is None
    assert row["licence"] == "CC-BY-4.0" and row["credit"] == "Bảo tàng Huế"
    assert [tuple(f)[2:5] for f in fks] == [("items", "item_id", "id")]
    csv_text = (opendata / "annotations.csv").read_text(encoding="utf-8")
    assert PUBLIC_NOTE["title_en"] in csv_text and csv_text.splitlines()[0].startswith("uid,item_id,")


def test_annotations_on_a_fresh_archive(tmp_path: Path) -> None:
    """Function-scoped, so the PostgreSQL pass runs it on a team archive too: a Z-up scan in
    centimetres; the public landmark's point turned and scaled, the private one absent."""
    import trimesh

    from archive import Archive
    from archive.importer import ImportOptions, import_paths

    (tmp_path / "src").mkdir()
    trimesh.creation.box(extents=(10, 20, 30)).export(tmp_path / "src" / "box.ply")
    with Archive.create(tmp_path / "a") as archive:
        item = import_paths(archive, [tmp_path / "src" / "box.ply"], ImportOptions(
            kind="relic", item_fields={"title_vi": "Hộp", "status": "published"},
            asset_fields={"units": "cm", "up_axis": "z"})).imported[0]
        archive.add_record(item, "landmark", [[5.0, 10.0, 15.0]], title_en="Corner", public=True)
        archive.add_record(item, "landmark", [[5.0, 10.0, -15.0]], title_en=FORBIDDEN[0])
        write_open_data(archive, tmp_path / "out")
    database = sqlite_utils.Database(tmp_path / "out" / OPEN_DB)  # the open data file, not the catalogue
    rows = list(database.query("select title_en, points_master, points_m, master_unit from annotations"))
    database.close()
    assert rows == [{"title_en": "Corner", "points_master": "[[5.0, 10.0, 15.0]]", "points_m": "[[0.05, 0.15, -0.1]]",
                     "master_unit": "cm"}]


def test_vocabulary_external_ids_and_linked_data_dumps(opendata: Path) -> None:
    with sqlite3.connect(opendata / "heritage.db") as db:
        porcelain = db.execute("select external_id, same_as from vocabulary where vocabulary = 'materials' "
                               "and value = 'sứ'").fetchone()
        bronze = db.execute("select external_id from vocabulary where value = 'đồng'").fetchone()
    assert porcelain[0] == "http://www.wikidata.org/entity/Q130693" and bronze[0] is None  # seeded ids are not staff's
    vocab = json.loads((opendata / "vocabulary.jsonld").read_text(encoding="utf-8"))
    materials = next(s for s in vocab["@graph"] if s["name"] == "materials")["hasDefinedTerm"]
    assert "http://www.wikidata.org/entity/Q130693" in next(t for t in materials if t["termCode"] == "sứ")["sameAs"]
    graph = json.loads((opendata / "items.jsonld").read_text(encoding="utf-8"))["@graph"]
    parts = [p for node in graph for p in node.get("hasPart", [])]
    assert {p["name"] for p in parts} == {PUBLIC_NOTE["title_vi"], PUBLIC_NOTE["title_en"]}
    assert parts[0]["pointInModel"]["value"] == "0.000000 0.000000 0.050000"


def test_metadata_and_dcat(opendata: Path) -> None:
    meta = json.loads((opendata / "metadata.json").read_text(encoding="utf-8"))
    items = meta["databases"]["heritage"]["tables"]["items"]
    assert meta["license_url"].startswith("https://creativecommons.org/") and meta["title"]
    assert items["columns"]["materials"] == "Chất liệu / Materials" and "kind_en" in items["facets"]
    assert meta["databases"]["heritage"]["queries"]["item_annotations"]["sql"].count(":accession") == 1
    notes = meta["databases"]["heritage"]["tables"]["annotations"]["columns"]
    assert "metres" in notes["points_m"] and "mét" in notes["points_m"] and "master" in notes["points_master"]
    dcat = json.loads((opendata / "dcat.jsonld").read_text(encoding="utf-8"))
    assert dcat["@type"] == "dcat:Dataset"
    assert {d["dcat:downloadURL"]["@id"] for d in dcat["dcat:distribution"]} >= {
        "heritage.db", "items.csv", "annotations.csv", "vocabulary.jsonld"}


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
        accession = relics[0]["accession"]
        notes = json.load(urllib.request.urlopen(base + "/heritage/item_annotations.json?_shape=array&accession="
                                                 + urllib.parse.quote(accession), timeout=10))
        assert [n["title_en"] for n in notes] == [PUBLIC_NOTE["title_en"]]
        every = urllib.request.urlopen(base + "/heritage/annotations.json?_shape=array", timeout=10).read().decode()
        assert not any(c in every for c in FORBIDDEN)
    finally:
        proc.terminate()
        proc.wait(timeout=20)
