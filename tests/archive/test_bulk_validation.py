"""A batch of new items (``Archive.add_items``) is validated as each item alone would be, while a
value many items repeat is cleaned, and its vocabulary asked, once per batch (validation.CleanMemo)."""

from __future__ import annotations

import gc
from pathlib import Path
from typing import Any

import pytest

from archive.errors import ValidationErrors
from archive.service import Archive
from archive.validation import CleanMemo


@pytest.fixture
def archive(tmp_path: Path) -> Archive:
    a = Archive.create(tmp_path / "a")
    yield a
    a.close()


def _relic(n: int, **values: Any) -> dict[str, Any]:
    return {"kind": "relic", "title_vi": f"Bình {n}", **values}


def test_each_vocabulary_term_is_asked_once_per_batch(archive: Archive, monkeypatch: pytest.MonkeyPatch) -> None:
    archive.add_vocabulary("materials", "Men lam", "Blue glaze")
    archive.add_vocabulary("materials", "Đồng thau", "Brass")
    asked: list[tuple[str, str]] = []
    real = archive.catalogue.vocabulary_value

    def counting(name: str, folded: str) -> str | None:
        asked.append((name, folded))
        return real(name, folded)

    monkeypatch.setattr(archive.catalogue, "vocabulary_value", counting)
    ids = archive.add_items([_relic(n, materials=["men lam"] if n % 2 else ["Men lam", "đồng thau"])
                             for n in range(40)])
    assert sorted(asked) == [("materials", "dong thau"), ("materials", "men lam")]
    assert archive.get(ids[0], with_assets=False)["materials"] == ["Men lam", "Đồng thau"]
    assert archive.get(ids[1], with_assets=False)["materials"] == ["Men lam"]


def test_an_unknown_term_repeated_in_a_batch_is_refused_as_alone(archive: Archive) -> None:
    alone = pytest.raises(ValidationErrors, archive.prepare_item, _relic(0, materials=["ngọc bích"]))
    with pytest.raises(ValidationErrors) as batch:
        archive.add_items([_relic(n, materials=["ngọc bích"]) for n in range(3)])
    assert [(p.field, p.code, str(p)) for p in batch.value.problems] == \
        [(p.field, p.code, str(p)) for p in alone.value.problems]
    assert archive.search_ids() == []


def test_a_value_kept_for_one_item_is_not_taken_for_an_equal_one_of_another_type(archive: Archive) -> None:
    memo = CleanMemo()
    assert archive.prepare_item(_relic(1, place_sensitive=True), memo=memo)["place_sensitive"] is True
    assert archive.prepare_item(_relic(2, place_sensitive="1"), memo=memo)["place_sensitive"] is True
    # 1.0 == True, but "1.0" is not a yes: refused as without the memo
    with pytest.raises(ValidationErrors) as bad:
        archive.prepare_item(_relic(3, place_sensitive=1.0), memo=memo)
    assert bad.value.problems[0].code == "not_yes_no"


def test_items_of_a_batch_never_share_a_list(archive: Archive) -> None:
    memo = CleanMemo()
    first, second = (archive.prepare_item(_relic(n, collections=["Cổ vật"]), memo=memo) for n in range(2))
    assert first["collections"] == second["collections"] == ["Cổ vật"]
    first["collections"].append("Gốm")
    assert second["collections"] == ["Cổ vật"]
    assert archive.prepare_item(_relic(3, collections=["Cổ vật"]), memo=memo)["collections"] == ["Cổ vật"]


def test_cycle_collection_resumes_after_a_batch_even_a_refused_one(archive: Archive) -> None:
    assert gc.isenabled()
    archive.add_items([_relic(1)])
    assert gc.isenabled()
    with pytest.raises(ValidationErrors):
        archive.add_items([_relic(2, year_from="soon")])
    assert gc.isenabled()
