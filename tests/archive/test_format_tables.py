"""The format tables agree: each import format has a viewer reader and an export reader, and
lists of formats (messages, dialog filters, CLI choices) come from the tables."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from archive.errors import UnsupportedFormat
from archive.formats import IMPORT_FORMATS, SCAN_SUFFIXES, dialog_patterns, format_list, identify
from archive.formats.meshopt import decoded_glb
from archive.publish import FORMATS
from archive.publish.budget import thin_points
from archive.publish.formats import WRITERS
from archive.publish.geometry import MASTER_READERS, Part, load_model
from viewer.readers import READERS as VIEW_READERS

MESHOPT = Path("gltf-pipeline/2.0/extensions")


def test_viewer_reads_every_import_suffix() -> None:
    assert set(SCAN_SUFFIXES) <= set(VIEW_READERS)


def test_export_reads_every_import_format() -> None:
    assert set(MASTER_READERS) == set(IMPORT_FORMATS)


def test_export_formats_come_from_the_writers() -> None:
    assert FORMATS == ("glb", *WRITERS, "html", "bag")


def test_lists_are_derived_from_the_import_table() -> None:
    labels = format_list()
    patterns = dialog_patterns().split()
    for fmt in IMPORT_FORMATS.values():
        assert fmt.label in labels
        assert all(f"*{s}" in patterns for s in fmt.suffixes)


def test_unsupported_message_names_every_format(tmp_path: Path) -> None:
    path = tmp_path / "notes.abc"
    path.write_text("hello")
    with pytest.raises(UnsupportedFormat, match=format_list()):
        identify(path)


def test_thinning_spreads_points_evenly_in_space() -> None:
    rng = np.random.default_rng(3)
    dense = rng.uniform(0, 1, (20_000, 3))  # a dense corner…
    sparse = rng.uniform(0, 10, (2_000, 3))  # …and a sparse rest of the volume
    kept = thin_points(Part(np.concatenate([dense, sparse])), 1_000).vertices
    assert len(kept) <= 1_000
    in_corner = (kept < 1).all(1).mean()
    assert in_corner < 0.05  # a random sample would keep ~90 % of its points in the dense corner


@pytest.mark.corpus
@pytest.mark.parametrize("ext", ["EXT_meshopt_compression", "KHR_meshopt_compression"])
def test_meshopt_master_reads_like_its_fallback(corpus: Path, ext: str) -> None:
    packed = corpus / MESHOPT / ext / "meshopt-no-fallback" / "meshopt-no-fallback.gltf"
    fallback = corpus / MESHOPT / ext / "meshopt-fallback" / "meshopt-fallback.gltf"
    assert decoded_glb(packed) is not None
    a, b = load_model(packed, None), load_model(fallback, None)
    assert [p.triangles for p in a.parts] == [p.triangles for p in b.parts]
    for pa, pb in zip(a.parts, b.parts, strict=True):
        np.testing.assert_allclose(pa.vertices, pb.vertices, atol=1e-6)


README = Path(__file__).resolve().parents[2] / "README.md"


def test_readme_lists_every_import_and_export_format() -> None:
    text = README.read_text(encoding="utf-8")
    intro = text[: text.index("\n\n", text.index("import scans"))]
    assert all(fmt.label in intro for fmt in IMPORT_FORMATS.values())
    export_line = next(line for line in text.splitlines() if "export" in line and "--format" in line)
    assert all(fmt in export_line for fmt in FORMATS)
