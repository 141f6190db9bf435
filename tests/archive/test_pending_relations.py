"""A dish's serving vessel that is not in the archive yet is kept by accession, reported, and
linked (as an edit event, a new version) when the vessel arrives."""

from __future__ import annotations

from pathlib import Path

import pytest

from archive import Archive
from archive.csvio import import_csv
from archive.publish import export_bag
from archive.publish.bagit import import_bag_report


@pytest.fixture
def source(tmp_path: Path):
    with Archive.create(tmp_path / "source") as a:
        vessel = a.add_item({"kind": "relic", "title_vi": "Bát", "accession": "HUE-000003"})
        dish = a.add_item({"kind": "dish", "title_vi": "Chè", "accession": "D-1", "serving_vessel": vessel})
        yield a, dish, vessel


def test_bag_dish_keeps_its_missing_vessel_and_links_it_when_the_vessel_bag_arrives(source, tmp_path):
    a, dish, vessel = source
    dish_bag = export_bag(a, dish, tmp_path / "bags")
    vessel_bag = export_bag(a, vessel, tmp_path / "bags")
    with Archive.create(tmp_path / "target") as target:
        first = import_bag_report(target, dish_bag)
        assert first.notes == ["serving vessel HUE-000003 is not in this archive yet; "
                               "the link will be made when it arrives"]
        moved = target.get(first.item_id)
        assert moved["serving_vessel"] is None and moved["version"] == 1
        second = import_bag_report(target, vessel_bag)
        linked = target.get(first.item_id)
        assert linked["serving_vessel"] == second.item_id and linked["version"] == 2
        edit = [e for e in target.history(first.item_id) if e["type"] == "edit"][-1]
        assert edit["field"] == "serving_vessel" and edit["new_value"] == str(second.item_id)
        assert target.catalogue.pending_links_of(first.item_id) == []


def test_any_new_item_with_the_accession_makes_the_link(source, tmp_path):
    a, dish, _vessel = source
    with Archive.create(tmp_path / "target") as target:
        dish_id = import_bag_report(target, export_bag(a, dish, tmp_path / "bags")).item_id
        csv_path = tmp_path / "vessel.csv"
        csv_path.write_text("accession,kind,title_vi\nHUE-000003,relic,Bát\n", encoding="utf-8")
        assert import_csv(target, csv_path).applied
        assert target.get(dish_id)["serving_vessel"] == target.find_by_accession("HUE-000003")


def test_csv_dish_naming_an_unknown_vessel_keeps_it_pending(tmp_path):
    path = tmp_path / "in.csv"
    path.write_text("accession,kind,title_vi,serving_vessel\nD-9,dish,Chè,HUE-000777\n", encoding="utf-8")
    with Archive.create(tmp_path / "arch") as archive:
        report = import_csv(archive, path)
        assert report.applied and not report.errors
        assert report.notes == ["row 2: serving vessel HUE-000777 is not in this archive yet; "
                                "the link will be made when it arrives"]
        dish = archive.find_by_accession("D-9")
        assert archive.catalogue.pending_links_of(dish) == [("serving_vessel", "HUE-000777")]


def test_a_vessel_of_the_wrong_kind_leaves_the_link_waiting_and_says_so(source, tmp_path):
    a, dish, _vessel = source
    with Archive.create(tmp_path / "target") as target:
        dish_id = import_bag_report(target, export_bag(a, dish, tmp_path / "bags")).item_id
        path = tmp_path / "other.csv"
        path.write_text("accession,kind,title_vi\nHUE-000003,dish,Canh\n", encoding="utf-8")
        report = import_csv(target, path)
        assert report.applied and "still waiting" in report.notes[0]
        assert target.get(dish_id)["serving_vessel"] is None
        assert target.catalogue.pending_links_of(dish_id) == [("serving_vessel", "HUE-000003")]


@pytest.mark.parametrize("how", ["add_item", "add_items"])
def test_a_vessel_created_by_hand_makes_the_waiting_link(source, tmp_path, how):
    a, dish, _vessel = source
    with Archive.create(tmp_path / "target") as target:
        dish_id = import_bag_report(target, export_bag(a, dish, tmp_path / "bags")).item_id
        vessel = {"accession": "HUE-000003", "kind": "relic", "title_vi": "Bát"}
        vessel_id = target.add_item(vessel) if how == "add_item" else target.add_items([vessel])[0]
        assert target.get(dish_id)["serving_vessel"] == vessel_id
        assert target.catalogue.pending_links_of(dish_id) == []
        assert [e["field"] for e in target.history(dish_id) if e["type"] == "edit"] == ["serving_vessel"]


def test_cli_import_bag_says_which_link_waits(source, tmp_path, capsys):
    from heritage_app.cli import main

    a, dish, _vessel = source
    bag = export_bag(a, dish, tmp_path / "bags")
    Archive.create(tmp_path / "target").close()
    assert main(["--archive", str(tmp_path / "target"), "import-bag", str(bag)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[1] == "note: serving vessel HUE-000003 is not in this archive yet; the link will be made when it arrives"
