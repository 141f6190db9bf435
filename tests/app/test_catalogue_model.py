"""The lazy catalogue model: Qt's model contract, paging, sorting, refreshing."""

from __future__ import annotations

from PySide6.QtCore import Qt

from archive import Archive, SearchQuery
from heritage_app.catalogue_model import CACHE_ROWS, CatalogueModel, ItemIdRole


def test_model_passes_qtmodeltester(qtmodeltester, small_archive):
    with Archive.open(small_archive) as archive:
        model = CatalogueModel()
        model.set_archive(archive)
        qtmodeltester.check(model, force_py=True)
        model.set_query(SearchQuery(kind="dish"))
        qtmodeltester.check(model, force_py=True)


def test_model_holds_ids_and_fetches_only_visible_pages(tmp_path):
    with Archive.create(tmp_path / "a") as archive:
        archive.add_items([{"kind": "other", "title_vi": f"Vật {n}"} for n in range(1000)])
        model = CatalogueModel()
        model.set_archive(archive)
        assert model.rowCount() == 1000
        assert not model._cache  # nothing fetched before anything is shown
        assert model.index(500, 0).data() == "Vật 500"
        assert 0 < len(model._cache) <= 64
        for row in range(0, 1000, 7):
            model.index(row, 0).data()
        assert len(model._cache) <= CACHE_ROWS


def test_sort_runs_a_new_query_and_keeps_ids(small_archive):
    with Archive.open(small_archive) as archive:
        model = CatalogueModel()
        model.set_archive(archive)
        model.sort(1, Qt.SortOrder.DescendingOrder)  # accession
        accessions = [model.index(r, 1).data() for r in range(model.rowCount())]
        assert accessions == sorted(accessions, reverse=True)
        assert sorted(model.ids) == sorted(archive.search_ids())


def test_refresh_items_repaints_only_changed_rows(qtbot, small_archive):
    with Archive.open(small_archive) as archive:
        model = CatalogueModel()
        model.set_archive(archive)
        model.index(0, 0).data()
        item_id = model.index(0, 0).data(ItemIdRole)
        archive.update(item_id, {"title_vi": "Tên mới"})
        with qtbot.waitSignal(model.dataChanged) as blocker:
            model.refresh_items([item_id])
        assert blocker.args[0].row() == 0 and blocker.args[1].row() == 0
        assert model.index(0, 0).data() == "Tên mới"


def test_reload_appends_new_items_without_reset(qtbot, small_archive):
    with Archive.open(small_archive) as archive:
        model = CatalogueModel()
        model.set_archive(archive)
        archive.add_item({"kind": "relic", "title_vi": "Mới"})
        with qtbot.waitSignal(model.rowsInserted):
            model.reload()
        assert model.rowCount() == 6
