"""JSON-LD, BagIt round trip, the static site and the CLI commands."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import bagit
import pytest

from archive import Archive
from archive.errors import ImportFailed, ValidationError
from archive.publish import build_site, export_bag, export_item, import_bag
from archive.publish.glb import node_modules_dir
from archive.publish.jsonld import build, script_tag_json
from archive.text import fold
from heritage_app.cli import main

from .test_publish_support import CANARIES, canary_archive

SITE_JS = Path(__file__).resolve().parents[2] / "assets" / "web" / "site.js"


@pytest.fixture
def archive(tmp_path: Path):
    archive, ids = canary_archive(tmp_path / "archive")
    with archive:
        yield archive, ids


def _jsonld(page: Path) -> dict:
    block = re.search(r'<script type="application/ld\+json">(.*?)</script>', page.read_text(encoding="utf-8"), re.S)
    assert block
    return json.loads(block.group(1))


# -- JSON-LD -----------------------------------------------------------------------------------------
def test_dish_is_a_recipe_with_a_3d_model(archive, tmp_path: Path) -> None:
    a, ids = archive
    export_item(a, ids[1], tmp_path / "out", "html")
    doc = _jsonld(next((tmp_path / "out").glob("*/index.html")))
    item, model = doc["@graph"]
    assert doc["@context"]["@vocab"] == "https://schema.org/"  # inline: expands offline (issue 16)
    assert item["@type"] == "Recipe" and item["recipeIngredient"] == ["bún", "bò"]
    assert [s["text"] for s in item["recipeInstructions"]] == ["Hầm xương.", "Chan nước."]
    assert item["prepTime"] == "PT30M" and item["cookTime"] == "PT120M" and item["totalTime"] == "PT150M"
    assert "Huế" in item["recipeCuisine"] and item["inLanguage"] == "vi"
    assert model["@type"] == "3DModel" and model["encoding"][0]["encodingFormat"] == "model/gltf-binary"
    assert model["encoding"][0]["contentUrl"] == "model.glb"
    assert model["license"] == "https://creativecommons.org/licenses/by/4.0/" and model["creditText"] == "Bảo tàng Huế"


def test_relic_is_a_visual_artwork_without_sensitive_place(archive, tmp_path: Path) -> None:
    a, ids = archive
    export_item(a, ids[0], tmp_path / "out", "html")
    folder = next(p for p in (tmp_path / "out").iterdir() if p.is_dir())
    item = _jsonld(folder / "index.html")["@graph"][0]
    assert item["@type"] == "VisualArtwork" and item["artMedium"] == "sứ"
    assert item["height"] == {"@type": "QuantitativeValue", "value": 100.0, "unitCode": "MMT"}
    assert "geo" not in json.dumps(item)
    english = _jsonld(folder / "index.en.html")["@graph"][0]
    assert english["name"] == "Blue vase" and english["inLanguage"] == "en"
    standalone = json.loads(next(folder.glob("*.vi.jsonld")).read_text(encoding="utf-8"))
    assert standalone["@graph"][1]["@type"] == "3DModel"


def test_script_json_cannot_close_the_script() -> None:
    doc = build({"kind": "other", "title_vi": "</script><!-- & \u2028"}, "vi", {})
    text = script_tag_json(doc)
    assert "<" not in text and ">" not in text and "&" not in text
    assert json.loads(text)["@graph"][0]["name"] == "</script><!-- & \u2028"


# -- BagIt -------------------------------------------------------------------------------------------
def test_bag_round_trip_is_lossless(archive, tmp_path: Path) -> None:
    a, ids = archive
    a.update(ids[0], {"condition": "tốt"})  # an edit event to carry over
    bag_dir = export_bag(a, ids[0], tmp_path / "bags")
    bag = bagit.Bag(str(bag_dir))
    assert bag.is_valid() and "sha256" in bag.algorithms
    assert (bag_dir / "data" / "metadata" / "item.json").exists()
    target = Archive.create(tmp_path / "other")
    with target:
        new_id = import_bag(target, bag_dir)
        before, after = a.get(ids[0]), target.get(new_id)
        for key in before:
            # id and version are this archive's own (row number, edit counter), not the record's
            if key not in ("id", "assets", "version"):
                assert after[key] == before[key], key
        for old, new in zip(before["assets"], after["assets"], strict=True):
            for key in old:
                if key not in ("id", "item_id", "uid", "storage_dir"):
                    assert new[key] == old[key], key
            for f_old, f_new in zip(old["files"], new["files"], strict=True):
                assert f_new == f_old
                assert (target.store.path(new["storage_dir"], f_new["path"]).read_bytes()
                        == a.store.path(old["storage_dir"], f_old["path"]).read_bytes())
        old_events = [(e["type"], e["field"], e["old_value"], e["new_value"]) for e in a.history(ids[0])]
        new_events = [(e["type"], e["field"], e["old_value"], e["new_value"]) for e in target.history(new_id)]
        assert new_events[:len(old_events)] == old_events and new_events[-1][0] == "ingest"
        with pytest.raises(ValidationError, match="already in this archive"):
            import_bag(target, bag_dir)


def test_tampered_bag_is_refused(archive, tmp_path: Path) -> None:
    a, ids = archive
    bag_dir = export_bag(a, ids[1], tmp_path / "bags")
    payload = next((bag_dir / "data" / "assets").rglob("*.ply"))
    payload.chmod(0o644)
    payload.write_bytes(payload.read_bytes() + b"x")
    target = Archive.create(tmp_path / "other")
    with target:
        with pytest.raises(ImportFailed, match="not a valid BagIt bag"):
            import_bag(target, bag_dir)
        assert target.count() == 0


def test_bag_keeps_private_fields(archive, tmp_path: Path) -> None:
    a, ids = archive
    bag_dir = export_bag(a, ids[0], tmp_path / "bags")
    record = json.loads((bag_dir / "data" / "metadata" / "item.json").read_text(encoding="utf-8"))["item"]
    assert all(record[k] == v for k, v in CANARIES.items())


# -- site --------------------------------------------------------------------------------------------
def test_site_has_only_published_items(archive, tmp_path: Path) -> None:
    a, ids = archive
    a.update(ids[2], {"status": "draft"})
    report = build_site(a, tmp_path / "site", base_url="https://museum.example/3d")
    assert report.items == 2
    index = (tmp_path / "site" / "index.html").read_text(encoding="utf-8")
    assert "Đám mây điểm" not in index and "Bún bò Huế" in index
    assert build_site(a, tmp_path / "site", include_unpublished=True).items == 3


def test_site_sitemap_and_open_graph(archive, tmp_path: Path) -> None:
    a, _ = archive
    build_site(a, tmp_path / "site", base_url="https://museum.example/3d/")
    root = ET.parse(tmp_path / "site" / "sitemap.xml").getroot()
    locs = [e.text for e in root.iter("{http://www.sitemaps.org/schemas/sitemap/0.9}loc")]
    assert "https://museum.example/3d/index.html" in locs
    assert all(loc and loc.startswith("https://museum.example/3d/") for loc in locs)
    page = next((tmp_path / "site" / "items").glob("*/index.html")).read_text(encoding="utf-8")
    assert 'property="og:title"' in page and 'property="og:url" content="https://museum.example/3d/items/' in page
    assert "Sitemap: https://museum.example/3d/sitemap.xml" in (tmp_path / "site" / "robots.txt").read_text()


def test_site_filters_by_collection_and_refuses_foreign_folder(archive, tmp_path: Path) -> None:
    a, _ = archive
    assert build_site(a, tmp_path / "s", collection="Không có").items == 0
    (tmp_path / "busy").mkdir()
    (tmp_path / "busy" / "keep.txt").write_text("mine")
    with pytest.raises(FileExistsError):
        build_site(a, tmp_path / "busy")


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
def test_site_search_folds_like_the_archive() -> None:
    samples = ["Bún bò Huế", "ĐẠI NỘI", "Chè hạt sen long nhãn", "Lư hương đồng ba chân", "Ấn vàng", "Œuvre Straße",
               "Mảnh ngói lưu ly", "Cơm hến", "Thế Miếu"]
    script = (f"const s=require({json.dumps(str(SITE_JS))});"
              f"process.stdout.write(JSON.stringify({json.dumps(samples, ensure_ascii=False)}.map(s.fold)));"
              "process.stdout.write('\\n'+JSON.stringify([s.matches('bun bo hu','Bún bò Huế'),"
              "s.matches('bo','Bún bò Huế'),s.matches('hue bun','Bún bò Huế'),s.matches('pho','Bún bò Huế')]))")
    out = subprocess.run(["node", "-e", script], capture_output=True, text=True, check=True).stdout.splitlines()
    assert json.loads(out[0]) == [fold(s) for s in samples]
    assert json.loads(out[1]) == [True, True, True, False]


# -- CLI ---------------------------------------------------------------------------------------------
def test_cli_export_site_and_import_bag(archive, tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    a, ids = archive
    monkeypatch.setenv("HERITAGE_NO_RENDER", "1")
    root = str(a.root)
    validate = ["--validate", "yes"] if (node_modules_dir() / "gltf-validator").is_dir() else []
    assert main(["--archive", root, "export", str(ids[0]), str(ids[1]), "--to", str(tmp_path / "o"),
                 "--profile", "mobile", *validate]) == 0
    out = capsys.readouterr().out
    assert "triangles" in out and ("0 errors, 0 warnings" in out or not validate)
    assert main(["--archive", root, "export", str(ids[0]), "--to", str(tmp_path / "h"), "--format", "html"]) == 0
    assert (tmp_path / "h" / next(p.name for p in (tmp_path / "h").iterdir() if p.is_dir()) / "poster.jpg").exists()
    assert main(["--archive", root, "site", "--out", str(tmp_path / "site")]) == 0
    assert main(["--archive", root, "export", str(ids[1]), "--to", str(tmp_path / "b"), "--format", "bag"]) == 0
    other = tmp_path / "other"
    Archive.create(other).close()
    assert main(["--archive", str(other), "import-bag", str(next((tmp_path / "b").iterdir()))]) == 0
    assert main(["--archive", root, "export", "999", "--to", str(tmp_path / "x")]) == 1
    assert "no item 999" in capsys.readouterr().err.lower()
    assert any(e["type"] == "export" for e in a.history(ids[0]))
