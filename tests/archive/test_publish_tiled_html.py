"""``export --format html`` of a cloud too big for one web GLB streams 3D Tiles (issue 12):
the report says which output was chosen and why; the tiled page is the normal item page but
for its 3D part (same notes, tour, details, licence); the notes' points are in the tiles'
frame (a georeferenced, z-up LAS); private records stay out of every published byte."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest

from archive.publish import html, tilespage
from archive.publish.tiles3d import TILESET, TilesetReport, read_tile, tile_centre

from .test_tiles3d import nodes
from .tiled_item import PATCH_M, PRIVATE_NOTE, PUBLIC_NOTE, TiledExport, build


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> TiledExport:
    return build(tmp_path_factory.mktemp("tiled-html"))


def test_a_big_cloud_exported_as_html_gets_a_tiled_page_and_says_why(exported: TiledExport) -> None:
    page = (exported.folder / "index.html").read_text(encoding="utf-8")
    assert (exported.folder / TILESET).is_file() and (exported.folder / "tileset.local.json.js").is_file()
    assert 'id="tiles"' in page and "<model-viewer" not in page and "assets/tiles.js" in page
    assert any("over the mobile profile's web budget of 196,608" in n and "3D Tiles" in n for n in exported.notes)
    assert any("cannot stream tiles" in n for n in exported.notes)
    assert "<model-viewer" in exported.single.read_text(encoding="utf-8")  # one file: the coarse levels
    assert (exported.folder / "index.en.html").is_file()


def test_the_note_on_a_tiled_cloud_is_given_in_the_tiles_frame(exported: TiledExport) -> None:
    page = (exported.folder / "index.html").read_text(encoding="utf-8")
    position = np.array(re.search(r'class="hotspot"[^>]*data-position="([^"]+)"', page)[1].replace("m", "").split(),
                        dtype=float)
    assert np.allclose(position, exported.point_yup, atol=2e-3)
    doc = json.loads((exported.folder / TILESET).read_text(encoding="utf-8"))
    near = []
    for node, _, _ in nodes(doc):
        if "content" in node:
            points, colours = read_tile(exported.folder / node["content"]["uri"])
            points = points.astype(np.float64) + tile_centre(doc)  # the root's transform, back in y-up
            close = np.linalg.norm(points - position, axis=1) < PATCH_M / 2
            near.append(colours[close, :3] if colours is not None else np.zeros((0, 3)))
    red = np.concatenate(near)
    assert len(red) > 10 and (red == [255, 0, 0]).all(), "the tiles around the note's point are the red patch"


def test_private_records_stay_out_of_the_tiled_pages(exported: TiledExport) -> None:
    files = [p for p in exported.folder.rglob("*") if p.is_file()] + [exported.single]
    assert PUBLIC_NOTE.encode() in exported.single.read_bytes()
    for path in files:
        assert PRIVATE_NOTE.encode() not in path.read_bytes(), path


def _article_without_the_model(page: str) -> str:
    article = page[page.index("<article"):page.index("</article>")]
    article = re.sub(r"<model-viewer.*?</model-viewer>", "MODEL", article, flags=re.S)
    article = re.sub(r'<div class="tiles-view".*?</canvas>(.*?)\s*(<p class="tiles-hint".*?</p>)?\s*</div>',
                     r"MODEL", article, flags=re.S)
    return re.sub(r'<br><span class="tiles-summary">.*?</span>', "", article)


def test_the_tiled_page_is_the_item_page_but_for_the_model(exported: TiledExport) -> None:
    page = (exported.folder / "index.html").read_text(encoding="utf-8")
    record = {"id": 1, "kind": "dish", "title_vi": "Bún bò", "title_en": "Beef noodles", "description_vi": "Mô tả.",
              "model_licence": "CC-BY-4.0", "model_credit": "Bảo tàng", "ingredients": ["bún"], "steps": ["nấu"],
              "accession": "D-1", "collections": ["Ẩm thực"]}
    ctx = html.item_context(record, "vi", html.PageLinks())
    ctx["hotspots"] = [{"slot": "hotspot-1", "position": "1m 2m 3m", "normal": None, "number": 1, "title": "Ghi chú",
                        "title_lang": None, "text": "Chữ", "text_lang": None}]
    report = TilesetReport(points=1000, tiles=3, levels=2, bytes=10, root_spacing=0.1, finest_spacing=0.05,
                           coloured=True, local_levels=1)
    plain, tiled = html.render("item.html.j2", ctx), tilespage.render_page(ctx, report)
    assert "Ghi chú" in tiled and 'class="facts"' in tiled and 'rel="license"' in tiled
    assert _article_without_the_model(tiled) == _article_without_the_model(plain)
    assert 'class="tour"' in page and 'class="annotations"' in page and 'class="facts"' in page


def test_the_sites_report_says_which_pages_stream_tiles_and_why(exported: TiledExport, tmp_path) -> None:
    from archive import Archive
    from archive.publish import build_site

    with Archive.open(exported.archive) as archive:
        report = build_site(archive, tmp_path / "site", profile="mobile")
    assert any(n.startswith("s-9") and "web budget of 196,608" in n and "3D Tiles" in n for n in report.notes)
    assert any(n.startswith("s-9") and "260,000 points in" in n for n in report.notes)
