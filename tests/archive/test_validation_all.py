"""Every validation problem of an item is reported at once, in the form's field order, each with
a stable code the app can translate."""

from __future__ import annotations

import shlex
from pathlib import Path

import pytest

from archive import Archive, ValidationError
from archive.errors import ValidationErrors
from archive.validation import check_item, checked_item
from heritage_app.cli import main


@pytest.fixture
def archive(tmp_path: Path):
    with Archive.create(tmp_path / "arch") as a:
        yield a


FOUR_BAD = {"kind": "relic", "title_vi": "Bình", "weight_kg": "-1", "status": "finished",
            "place_lat": "north", "period": "martian age"}


def test_an_item_with_four_problems_reports_all_four_in_field_order(archive):
    with pytest.raises(ValidationErrors) as err:
        archive.add_item(FOUR_BAD)
    problems = err.value.problems
    assert [p.field for p in problems] == ["place_lat", "period", "status", "weight_kg"]
    assert [p.code for p in problems] == ["not_number", "unknown_term", "not_a_choice", "range"]
    assert err.value.field == "place_lat"
    for p in problems:
        assert str(p) in str(err.value)
    assert archive.count() == 0


def test_update_reports_every_problem_and_saves_nothing(archive):
    item_id = archive.add_item({"kind": "relic", "title_vi": "Bình"})
    with pytest.raises(ValidationError) as err:  # still caught as a ValidationError
        archive.update(item_id, {"weight_kg": "heavy", "status": "finished", "year_from": "x"})
    assert [p.field for p in err.value.problems] == ["year_from", "status", "weight_kg"]
    assert archive.get(item_id)["weight_kg"] is None


def test_bad_values_and_rules_across_fields_come_together_without_doubles():
    base = {"accession": "A-1", "title_vi": None, "title_en": None, "year_from": None, "year_to": None,
            "place_lat": None, "place_lon": None, "height": None, "dimension_unit": None}
    with pytest.raises(ValidationErrors) as err:
        checked_item({"year_from": "1900", "year_to": "1800", "height": "3", "place_lat": "x"}, "relic", None, base)
    codes = {(p.field, p.code) for p in err.value.problems}
    # the bad latitude is reported once; the pair rule is skipped, not added as a second problem
    assert codes == {("title_vi", "title_required"), ("place_lat", "not_number"),
                     ("year_to", "reversed_years"), ("dimension_unit", "unit_missing")}
    assert [p.field for p in err.value.problems] == ["title_vi", "place_lat", "year_to", "dimension_unit"]


def test_rules_across_fields_carry_codes_and_params():
    with pytest.raises(ValidationErrors) as err:
        check_item({"accession": "", "title_vi": "x", "year_from": 1900, "year_to": 1800})
    assert [(p.code, p.field) for p in err.value.problems] == [("required", "accession"), ("reversed_years", "year_to")]
    assert err.value.problems[1].params["year_from"] == 1900


def test_single_problem_message_is_unchanged(archive):
    with pytest.raises(ValidationError) as err:
        archive.add_item({"kind": "dish", "title_vi": "Bún", "prep_minutes": "an hour"})
    assert str(err.value) == "prep_minutes: must be a whole number, not 'an hour'"
    assert err.value.params == {"value": "an hour", "whole": True}


def test_unknown_term_hint_names_a_command_that_works(archive, tmp_path):
    with pytest.raises(ValidationError) as err:
        archive.add_item({"kind": "relic", "title_vi": "Tượng", "materials": "ngọc bích"})
    assert err.value.code == "unknown_term"
    assert err.value.params == {"vocabulary": "materials", "value": "ngọc bích"}
    hint = str(err.value).split("(", 1)[1].rsplit(")", 1)[0]
    words = hint.split(" ", 1)[1]  # without "heritage"
    archive.close()
    assert main(["--archive", str(tmp_path / "arch"), *shlex.split(words)]) == 0
    with Archive.open(tmp_path / "arch") as again:
        again.add_item({"kind": "relic", "title_vi": "Tượng", "materials": "ngọc bích"})
