"""Nothing private leaves the archive: canaries in every private field, sensitive
coordinates, image metadata, user and host names, local paths, private research records (and
public records of unpublished items); and all text is escaped."""

from __future__ import annotations

import getpass
import html
import io
import json
import re
import socket
from pathlib import Path

import pytest
import trimesh

from archive import Archive
from archive.publish import build_site, export_item, public_record

from .test_publish_support import (
    CANARIES,
    IMAGE_CANARY,
    OPERATOR_CANARY,
    SECRET_LAT,
    SECRET_LON,
    XSS,
    add,
    all_text,
    canary_archive,
)

#: Research records that must never be published: private ones, and public ones of an unpublished item.
RECORD_CANARIES = {"private_title": "CANARY-RECORD-TITLE-51d0", "private_text": "CANARY-RECORD-TEXT-9e27",
                   "private_measure": "CANARY-RECORD-MEASURE-c4b8", "draft_item_note": "CANARY-DRAFT-ITEM-NOTE-2a6f"}
#: A public annotation of a published item: it must be published (so the canaries above prove something).
PUBLIC_NOTE = {"title_vi": "Vết nứt ở thân bình", "title_en": "Crack in the body", "text_en": "Seen since 1990."}
FORBIDDEN = [*CANARIES.values(), IMAGE_CANARY, OPERATOR_CANARY, str(SECRET_LAT), str(SECRET_LON), "16.47135",
             "107.58246", *RECORD_CANARIES.values()]


def add_record_canaries(archive: Archive, ids: list[int], root: Path) -> None:
    """Private records with canary texts (an annotation with a saved view, a titled measurement)
    and a public annotation on a draft item, all canaries; plus :data:`PUBLIC_NOTE` on ``ids[0]``."""
    c = RECORD_CANARIES
    view = {"eye": [300.0, 0.0, 0.0], "target": [0.0, 0.0, 0.0], "up": [0.0, 0.0, 1.0], "fov": 35.0}
    archive.add_record(ids[0], "annotation", [[10.0, 0.0, 0.0]], normal=[1.0, 0.0, 0.0], title_vi=c["private_title"],
                       text_en=c["private_text"], view=view)
    archive.add_record(ids[0], "measurement", [[0.0, 0.0, 0.0], [10.0, 0.0, 0.0]], measure="distance",
                       title_en=c["private_measure"])
    archive.add_record(ids[0], "annotation", [[0.0, 0.0, 50.0]], normal=[0.0, 0.0, 1.0], public=True, **PUBLIC_NOTE)
    (root / "draft").mkdir()
    trimesh.creation.box(extents=(30, 30, 30)).export(root / "draft" / "box.stl")
    draft = add(archive, root / "draft" / "box.stl", "relic", title_vi="Bản nháp", status="draft")
    archive.add_record(draft, "annotation", [[0.0, 0.0, 0.0]], title_en=c["draft_item_note"], public=True,
                       view=view)


def fake_render(path: Path, size: int) -> bytes:
    """A renderer that writes private text into its PNG metadata: the export must drop it."""
    import io

    from PIL import Image
    from PIL.PngImagePlugin import PngInfo

    info = PngInfo()
    info.add_text("Author", CANARIES["donor_contact"])
    buf = io.BytesIO()
    Image.new("RGB", (size, size), (90, 120, 200)).save(buf, "PNG", pnginfo=info)
    return buf.getvalue()


@pytest.fixture(scope="module")
def outputs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("privacy")
    archive, ids = canary_archive(root / "archive")
    out = root / "out"
    with archive:
        add_record_canaries(archive, ids, root)
        for item_id in ids:
            for fmt in ("glb", "obj", "ply", "html"):
                export_item(archive, item_id, out / fmt, fmt, "web", render_image=fake_render)
        export_item(archive, ids[0], out / "stl", "stl", "mobile")
        build_site(archive, out / "site", render_image=fake_render)
    return root, out


def test_public_record_has_no_private_field() -> None:
    item = {**CANARIES, "id": 1, "accession": "A-1", "kind": "relic", "place_lat": 1.0, "place_lon": 2.0,
            "place_sensitive": True, "assets": []}
    record = public_record(item)
    assert not set(CANARIES) & set(record)
    assert "place_lat" not in record and "place_lon" not in record


def test_coordinates_published_when_not_sensitive() -> None:
    record = public_record({"id": 1, "place_lat": 1.5, "place_lon": 2.5, "place_sensitive": False})
    assert record["place_lat"] == 1.5


def test_no_canary_in_any_output_file(outputs: tuple[Path, Path]) -> None:
    _, out = outputs
    files = [p for p in out.rglob("*") if p.is_file()]
    assert len(files) > 30
    leaks = [(p.relative_to(out).as_posix(), c) for p in files for c in FORBIDDEN if c in all_text(p)]
    assert not leaks


def test_public_records_are_published_private_ones_are_not(outputs: tuple[Path, Path]) -> None:
    _, out = outputs
    site_pages = [p for p in (out / "site").rglob("*.html")] + [p for p in (out / "html").rglob("*.html")]
    with_note = [p for p in site_pages if PUBLIC_NOTE["title_en"] in p.read_text(encoding="utf-8")
                 or PUBLIC_NOTE["title_vi"] in p.read_text(encoding="utf-8")]
    assert len(with_note) == 5  # the site's two pages, the folder's two and the single-file page
    assert any('class="hotspot"' in p.read_text(encoding="utf-8") for p in with_note)


def test_no_canary_in_file_names(outputs: tuple[Path, Path]) -> None:
    _, out = outputs
    names = [p.relative_to(out).as_posix() for p in out.rglob("*")]
    assert not [n for n in names for c in FORBIDDEN if c.lower() in n.lower()]


def test_no_local_paths_user_or_host_names(outputs: tuple[Path, Path]) -> None:
    root, out = outputs
    needles = [str(root), str(Path.home()), "tester"]  # conftest sets HERITAGE_USER=tester (the event agent)
    needles += [n for n in (getpass.getuser(), socket.gethostname()) if len(n) >= 5]
    vendored = {"model-viewer-umd.min.js"}
    leaks = [(p.name, n) for p in out.rglob("*") if p.is_file() and p.name not in vendored
             for n in needles if n in all_text(p)]
    assert not leaks


def test_copied_texture_lost_its_metadata_not_its_pixels(outputs: tuple[Path, Path]) -> None:
    _, out = outputs
    from PIL import Image

    from archive.publish.textures import _glb_images

    original = next((out.parent / "src1").glob("*.png"))
    for data in [next((out / "obj").glob("*.png")).read_bytes(), *_glb_images(next((out / "glb").glob("*.glb"))
                                                                               .read_bytes())]:
        with Image.open(io.BytesIO(data)) as img, Image.open(original) as orig:
            assert img.format == "PNG" and "Comment" not in img.info
            assert img.tobytes() == orig.tobytes()


def test_xss_title_renders_as_text(tmp_path: Path) -> None:
    from archive import Archive

    from .test_publish_support import add, coloured_ply

    archive = Archive.create(tmp_path / "a")
    with archive:
        item_id = add(archive, coloured_ply(tmp_path / "src"), "dish", title_vi=XSS, title_en=XSS,
                      description_vi=XSS, ingredients=[XSS], status="published")
        export_item(archive, item_id, tmp_path / "out", "html", "web")
        build_site(archive, tmp_path / "site")
    pages = [*(tmp_path / "out").rglob("*.html"), *(tmp_path / "site").rglob("*.html")]
    assert pages
    for page in pages:
        text = page.read_text(encoding="utf-8")
        assert "<script>alert(1)" not in text, page.name
        assert "&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;" in text or page.name == "index.en.html"
        for block in re.findall(r'<script type="application/ld\+json">(.*?)</script>', text, re.S):
            assert "<" not in block
            assert XSS in json.dumps(json.loads(block), ensure_ascii=False)


def test_pages_carry_a_restrictive_csp(outputs: tuple[Path, Path]) -> None:
    _, out = outputs
    for page in out.rglob("*.html"):
        text = page.read_text(encoding="utf-8")
        csp = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', text)
        assert csp, page
        policy = html.unescape(csp.group(1))
        assert "default-src 'self'" in policy or "default-src 'none'" in policy
        assert "http" not in policy and "unsafe-inline" not in policy and "'unsafe-eval'" not in policy
        assert not re.search(r'(src|href)="(https?:)?//', text.replace('rel="license" href="https://', "")), page
