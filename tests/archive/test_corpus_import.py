"""Every file of the shared corpus either imports or fails with a typed error."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from archive import Archive, SearchQuery
from archive.importer import import_paths
from archive.verify import verify

from ..conftest import CORPUS

TYPED = {"CorruptFile", "EmptyModel", "UnsupportedFormat", "UnsafeReference", "LimitExceeded", "DuplicateImport",
         "ImportFailed"}


def corpus_files() -> list[str]:
    manifest = CORPUS / "MANIFEST.tsv"
    if not manifest.exists():
        return []
    with open(manifest, encoding="utf-8") as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    return [r["path"] for r in rows if not r["format"].startswith(("doc", "glTF-Validator expected", "image"))]


@pytest.fixture(scope="module")
def archive(tmp_path_factory):
    with Archive.create(tmp_path_factory.mktemp("corpus") / "arch") as a:
        yield a


@pytest.mark.corpus
@pytest.mark.parametrize("rel", corpus_files() or ["(corpus absent)"])
def test_corpus_file_imports_or_fails_typed(corpus: Path, archive: Archive, rel: str):
    source = corpus / rel
    before = archive.count()
    report = import_paths(archive, [source])
    if report.imported:
        item = archive.get(report.imported[0])
        for asset in item["assets"]:
            for f in asset["files"]:
                original = (source.parent / f["path"]).read_bytes()
                assert archive.store.path(asset["storage_dir"], f["path"]).read_bytes() == original
    else:
        assert report.errors, f"{rel}: neither imported nor reported"
        assert report.errors[0]["type"] in TYPED, report.errors
        assert archive.count() == before


@pytest.mark.corpus
def test_corpus_archive_verifies_and_scans_are_found(corpus: Path, archive: Archive):
    if archive.count() == 0:
        pytest.skip("the per-file corpus tests did not run")
    assert verify(archive).ok
    assert archive.search_ids(SearchQuery(text="nefertiti"))
