"""Units and up axis: a unit the file declares wins at import, and both can be corrected later
without touching the stored files."""

from __future__ import annotations

import hashlib
import json
import struct
from pathlib import Path

import numpy as np
import pytest
import trimesh
from PIL import Image

from archive import Archive, NotFound, ValidationError
from archive.formats import inspect_scan
from archive.importer import ImportOptions, import_paths

from .helpers import write_box_ply


@pytest.fixture
def archive(tmp_path: Path):
    with Archive.create(tmp_path / "arch") as a:
        yield a


def _imported_asset(archive: Archive, source: Path, **asset_fields: str) -> dict:
    report = import_paths(archive, [source], ImportOptions(kind="relic", asset_fields=asset_fields, isolate=False))
    assert report.errors == []
    return archive.get(report.imported[0])["assets"][0]


# -- correcting an asset after import -----------------------------------------------------------
def test_update_asset_changes_units_and_logs_old_and_new(archive, tmp_path):
    asset = _imported_asset(archive, write_box_ply(tmp_path / "in"), units="mm")
    version = archive.get(asset["item_id"])["version"]
    change = archive.update_asset(asset["id"], {"units": "m", "up_axis": "Z"})
    assert change.item_ids == [asset["item_id"]]
    assert change.fields == {"units": ("mm", "m"), "up_axis": (None, "z")}
    item = archive.get(asset["item_id"])
    assert (item["assets"][0]["units"], item["assets"][0]["up_axis"]) == ("m", "z")
    assert item["version"] == version + 1
    edits = [e for e in archive.history(asset["item_id"]) if e["type"] == "edit"]
    assert {(e["field"], e["old_value"], e["new_value"], e["asset_id"]) for e in edits} == {
        ("units", "mm", "m", asset["id"]), ("up_axis", None, "z", asset["id"])}


def test_update_asset_never_touches_the_stored_files(archive, tmp_path):
    asset = _imported_asset(archive, write_box_ply(tmp_path / "in"), units="mm")
    stored = archive.asset_path(asset)
    before = stored.read_bytes()
    archive.update_asset(asset["id"], {"units": "cm"})
    assert stored.read_bytes() == before
    assert hashlib.sha256(stored.read_bytes()).hexdigest() == asset["files"][0]["sha256"]
    assert archive.verify().ok


def test_update_asset_with_the_same_value_changes_nothing(archive, tmp_path):
    asset = _imported_asset(archive, write_box_ply(tmp_path / "in"), units="mm")
    events = len(archive.history(asset["item_id"]))
    assert archive.update_asset(asset["id"], {"units": "mm"}).item_ids == []
    assert len(archive.history(asset["item_id"])) == events


@pytest.mark.parametrize("changes", [{"units": "furlong"}, {"up_axis": "w"}, {"sha256": "0"}, {"main_file": "x"}])
def test_update_asset_refuses_bad_values_and_non_asset_fields(archive, tmp_path, changes):
    asset = _imported_asset(archive, write_box_ply(tmp_path / "in"), units="mm")
    with pytest.raises(ValidationError):
        archive.update_asset(asset["id"], changes)
    assert archive.get(asset["item_id"])["assets"][0]["units"] == "mm"


def test_update_asset_of_a_missing_asset_is_not_found(archive):
    with pytest.raises(NotFound):
        archive.update_asset(999, {"units": "m"})


# -- a unit the file declares wins at import ----------------------------------------------------
def _glb(folder: Path, size: float = 0.5) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "bowl.glb"
    trimesh.creation.box(extents=[size, size, size]).export(path)
    return path


def _ply_with_comments(folder: Path, *comments: str, name: str = "scan.ply") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    data = trimesh.creation.box(extents=[1, 2, 3]).export(file_type="ply", encoding="ascii")
    text = data.decode() if isinstance(data, bytes) else data
    lines = text.split("\n")
    lines[1:1] = [f"comment {c}" for c in comments]  # after "ply", before "format"
    path = folder / name
    path.write_text("\n".join(lines))
    return path


def _obj_with_comment(folder: Path, comment: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "scan.obj"
    path.write_text(f"# {comment}\nv 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 2 3\n")
    return path


def _las(folder: Path, wkt: str | None = None, geokeys: list[tuple[int, int, int, int]] | None = None) -> Path:
    laspy = pytest.importorskip("laspy")
    from laspy.vlrs.known import GeoKeyDirectoryVlr, GeoKeyEntryStruct, WktCoordinateSystemVlr

    folder.mkdir(parents=True, exist_ok=True)
    header = laspy.LasHeader(point_format=2, version="1.4")
    if wkt is not None:
        header.vlrs.append(WktCoordinateSystemVlr(wkt))
    if geokeys is not None:
        record = GeoKeyDirectoryVlr()
        record.geo_keys_header.number_of_keys = len(geokeys)
        record.geo_keys = [GeoKeyEntryStruct(*k) for k in geokeys]
        header.vlrs.append(record)
    las = laspy.LasData(header)
    las.x, las.y, las.z = np.array([0.0, 1.0]), np.array([0.0, 2.0]), np.array([0.0, 3.0])
    path = folder / "survey.las"
    las.write(str(path))
    return path


_PROJ = ('PROJCS["NAD83 / California zone 3",GEOGCS["NAD83",DATUM["North_American_Datum_1983",'
         'SPHEROID["GRS 1980",6378137,298.257222101]],PRIMEM["Greenwich",0],UNIT["degree",0.0174532925199433]],'
         'PROJECTION["Lambert_Conformal_Conic_2SP"],PARAMETER["false_easting",6561666.667],UNIT["{name}",{factor}]]')


def test_a_glb_keeps_metres_when_the_batch_says_mm(archive, tmp_path):
    report = import_paths(archive, [_glb(tmp_path / "in")],
                          ImportOptions(kind="relic", asset_fields={"units": "mm"}, isolate=False))
    asset = archive.get(report.imported[0])["assets"][0]
    assert asset["units"] == "m"
    assert asset["bbox"]["max"][0] - asset["bbox"]["min"][0] == pytest.approx(0.5)
    said = [w["warning"] for w in report.warnings]
    assert any("bowl.glb declares metres" in w and "the batch setting mm was not applied" in w for w in said)
    assert any("batch setting mm" in w for w in asset["warnings"])


def test_a_file_that_declares_nothing_takes_the_batch_setting(archive, tmp_path):
    report = import_paths(archive, [write_box_ply(tmp_path / "in")],
                          ImportOptions(kind="relic", asset_fields={"units": "mm"}, isolate=False))
    assert archive.get(report.imported[0])["assets"][0]["units"] == "mm"
    assert report.warnings == []


def test_a_matching_batch_setting_gives_no_warning(archive, tmp_path):
    report = import_paths(archive, [_glb(tmp_path / "in")],
                          ImportOptions(kind="relic", asset_fields={"units": "m"}, isolate=False))
    assert archive.get(report.imported[0])["assets"][0]["units"] == "m"
    assert report.warnings == []


@pytest.mark.parametrize(("comment", "unit"), [
    ("units mm", "mm"), ("unit: millimeters", "mm"), ("Units = cm", "cm"), ("UNITS METRES", "m"),
    ("file units: inches", "in"), ("units are in mm", "mm")])
def test_ply_header_unit_comments_are_declared(tmp_path, comment, unit):
    info = inspect_scan(_ply_with_comments(tmp_path, comment), tmp_path)
    assert (info.units, info.units_declared) == (unit, True)


@pytest.mark.parametrize(("comment", "unit"), [("units: cm", "cm"), ("Units mm", "mm"), ("unit = meters", "m")])
def test_obj_unit_comments_are_declared(tmp_path, comment, unit):
    info = inspect_scan(_obj_with_comment(tmp_path, comment), tmp_path)
    assert (info.units, info.units_declared) == (unit, True)


@pytest.mark.parametrize("comment", ["unit vector", "Texture units 2", "made by Units Inc."])
def test_other_comments_declare_nothing(tmp_path, comment):
    info = inspect_scan(_ply_with_comments(tmp_path, comment), tmp_path)
    assert (info.units, info.units_declared) == (None, False)


def test_a_ply_declaring_mm_wins_over_a_batch_setting_of_m(archive, tmp_path):
    source = _ply_with_comments(tmp_path / "in", "units mm")
    report = import_paths(archive, [source], ImportOptions(kind="relic", asset_fields={"units": "m"}, isolate=False))
    assert archive.get(report.imported[0])["assets"][0]["units"] == "mm"
    assert "scan.ply declares millimetres" in report.warnings[0]["warning"]


def test_las_without_a_coordinate_system_is_metres(tmp_path):
    info = inspect_scan(_las(tmp_path), tmp_path)
    assert (info.units, info.units_declared) == ("m", True)


@pytest.mark.parametrize(("name", "factor", "unit"), [
    ("metre", "1", "m"), ("foot", "0.3048", None), ("US survey foot", "0.304800609601219", None)])
def test_las_takes_the_linear_unit_of_its_wkt(tmp_path, name, factor, unit):
    info = inspect_scan(_las(tmp_path, wkt=_PROJ.format(name=name, factor=factor)), tmp_path)
    assert (info.units, info.units_declared) == (unit, True)
    if unit is None:  # feet cannot be recorded yet: said, not guessed
        assert any(name.lower().split()[0] in w.lower() or "feet" in w for w in info.warnings)


def test_las_in_us_feet_is_not_given_the_batch_setting(archive, tmp_path):
    source = _las(tmp_path / "in", wkt=_PROJ.format(name="US survey foot", factor="0.304800609601219"))
    report = import_paths(archive, [source], ImportOptions(kind="relic", asset_fields={"units": "mm"}, isolate=False))
    asset = archive.get(report.imported[0])["assets"][0]
    assert asset["units"] is None
    assert any("declares US survey feet" in w["warning"] and "batch setting mm was not applied" in w["warning"]
               for w in report.warnings)


def test_las_geotiff_keys_give_the_linear_unit(tmp_path):
    keys = [(1, 1, 0, 2), (1024, 0, 1, 1), (3076, 0, 1, 9001)]  # header, projected model, metres
    info = inspect_scan(_las(tmp_path, geokeys=keys), tmp_path)
    assert (info.units, info.units_declared) == ("m", True)


def test_las_in_geographic_degrees_declares_no_unit(tmp_path):
    wkt = ('GEOGCS["WGS 84",DATUM["WGS_1984",SPHEROID["WGS 84",6378137,298.257223563]],PRIMEM["Greenwich",0],'
           'UNIT["degree",0.0174532925199433]]')
    info = inspect_scan(_las(tmp_path, wkt=wkt), tmp_path)
    assert (info.units, info.units_declared) == (None, False)
    assert any("no length unit" in w for w in info.warnings)


def test_e57_is_metres_by_its_standard(tmp_path):
    pye57 = pytest.importorskip("pye57")
    path = tmp_path / "p.e57"
    e57 = pye57.E57(str(path), mode="w")
    e57.write_scan_raw({"cartesianX": np.array([0.0, 1.0]), "cartesianY": np.array([0.0, 2.0]),
                        "cartesianZ": np.array([0.0, 3.0])})
    e57.close()
    info = inspect_scan(path, tmp_path)
    assert (info.units, info.units_declared) == ("m", True)


# -- textures named by a PLY header -------------------------------------------------------------
def _textured_ply(folder: Path, comment: str, texture: str | None, name: str = "scan.ply") -> Path:
    path = _ply_with_comments(folder, comment, name=name)
    if texture is not None:
        Image.new("RGB", (8, 8), (200, 40, 40)).save(folder / texture)
    return path


@pytest.mark.parametrize(("comment", "texture"), [
    ("TextureFile tex.png", "tex.png"), ("TextureFile <this>.png", "scan.png"), ("texturefile <THIS>.jpg", "scan.jpg"),
    ("TextureFile Tex.PNG", "tex.png"), ("TextureFile: tex.png", "tex.png")])
def test_a_ply_texture_file_is_stored_with_the_scan(archive, tmp_path, comment, texture):
    source = _textured_ply(tmp_path / "in", comment, texture)
    report = import_paths(archive, [source], ImportOptions(kind="relic", isolate=False))
    asset = archive.get(report.imported[0])["assets"][0]
    assert sorted(f["path"] for f in asset["files"]) == sorted(["scan.ply", texture])
    assert asset["textured"] and asset["textures"] == [texture]
    stored = archive.store.path(asset["storage_dir"], texture)
    assert stored.read_bytes() == (tmp_path / "in" / texture).read_bytes()
    assert report.warnings == []


def test_a_missing_ply_texture_is_a_warning_naming_the_file(archive, tmp_path):
    source = _textured_ply(tmp_path / "in", "TextureFile <this>_diffuse.png", None)
    report = import_paths(archive, [source], ImportOptions(kind="relic", isolate=False))
    asset = archive.get(report.imported[0])["assets"][0]
    assert not asset["textured"] and [f["path"] for f in asset["files"]] == ["scan.ply"]
    assert any("scan_diffuse.png" in w["warning"] and "missing" in w["warning"] for w in report.warnings)
    assert any("scan_diffuse.png" in w for w in asset["warnings"])


# -- the CLI and the exports follow a correction ------------------------------------------------
def _glb_extent(path: Path) -> np.ndarray:
    """Sizes along x, y, z of the exported GLB's POSITION accessors (their declared min/max)."""
    data = path.read_bytes()
    length = struct.unpack_from("<I", data, 12)[0]
    doc = json.loads(data[20:20 + length])
    accessors = [doc["accessors"][p["attributes"]["POSITION"]] for m in doc["meshes"] for p in m["primitives"]]
    lo = np.min([a["min"] for a in accessors], axis=0)
    hi = np.max([a["max"] for a in accessors], axis=0)
    return hi - lo


def test_cli_asset_sets_units_and_the_glb_export_follows(archive, tmp_path, capsys):
    from archive.publish import export_item
    from heritage_app.cli import main

    asset = _imported_asset(archive, write_box_ply(tmp_path / "in"), units="mm")
    item_id = asset["item_id"]
    before = export_item(archive, item_id, tmp_path / "out-mm", "glb").main
    root = str(archive.root)
    assert main(["--archive", root, "asset", str(asset["id"]), "--set", "units=m", "--set", "up_axis=z"]) == 0
    out = capsys.readouterr().out
    assert "units: 'mm' -> 'm'" in out and "up_axis: None -> 'z'" in out
    archive.update_asset(asset["id"], {"up_axis": None})  # same axes in both exports: only the scale differs
    after = export_item(archive, item_id, tmp_path / "out-m", "glb").main
    assert before is not None and after is not None
    assert np.allclose(_glb_extent(after), 1000 * _glb_extent(before), rtol=1e-3)
    assert archive.verify().ok


def test_cli_asset_shows_the_fields_and_json(archive, tmp_path, capsys):
    from heritage_app.cli import main

    asset = _imported_asset(archive, write_box_ply(tmp_path / "in"), units="cm")
    root = str(archive.root)
    assert main(["--archive", root, "asset", str(asset["id"])]) == 0
    out = capsys.readouterr().out
    assert "units: cm" in out and "box.ply" in out
    assert main(["--archive", root, "asset", str(asset["id"]), "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert (shown["id"], shown["units"], shown["files"][0]["path"]) == (asset["id"], "cm", "box.ply")


@pytest.mark.parametrize(("args", "message"), [
    (["--set", "units=furlong"], "units"), (["--set", "title_vi=x"], "heritage edit"), ([], "no asset")])
def test_cli_asset_refuses_bad_input_in_one_line(archive, tmp_path, capsys, args, message):
    from heritage_app.cli import main

    asset = _imported_asset(archive, write_box_ply(tmp_path / "in"), units="mm")
    asset_id = "999" if not args else str(asset["id"])
    assert main(["--archive", str(archive.root), "asset", asset_id, *args]) == 1
    err = capsys.readouterr().err
    assert message in err.lower() and "Traceback" not in err
