"""The one "stage → place → commit → undo on failure" sequence every writer of stored files uses
(scan import, BagIt import, future record types). Invariant 2 of ARCHITECTURE: files go to
``staging/``, are fsynced and renamed into ``objects/``, and only then are the rows committed
in one transaction; on any failure nothing is left behind.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, TypeVar

from .store import StagedAsset

if TYPE_CHECKING:
    from .service import Archive

T = TypeVar("T")


def commit_staged(archive: Archive, staged: Sequence[StagedAsset], write: Callable[[], T]) -> T:
    """Place every staged asset in the store, then run ``write()`` inside one write transaction
    of the catalogue and return its result.

    On any failure (placing, writing, committing, cancelling) the placed folders are removed,
    the rest discarded, and the exception raised: the archive is as before. After the commit,
    an asset whose folder the catalogue does not name (``write`` left it out, e.g. a duplicate
    committed meanwhile by another process) is removed; the others are confirmed. A crash at
    any step is undone at the next open by the same rule (``FileStore.recover``)."""
    placed: list[StagedAsset] = []
    try:
        for asset in staged:
            archive.store.place(asset)
            placed.append(asset)
        with archive.catalogue.transaction():
            result = write()
    except BaseException:
        for asset in placed:
            archive.store.unplace(asset)
        for asset in staged[len(placed):]:
            archive.store.discard(asset)
        raise
    for asset in staged:
        if archive.catalogue.has_storage_dir(asset.storage_dir):
            archive.store.confirm(asset)
        else:
            archive.store.unplace(asset)
    return result
