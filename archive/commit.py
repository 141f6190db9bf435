"""The one "stage → place → commit → undo on failure" sequence every writer of stored files uses
(scan import, BagIt import, future record types). Invariant 2 of ARCHITECTURE: files go to
``staging/``, are fsynced and renamed into ``objects/``, and only then are the rows committed
in one transaction; on any failure nothing is left behind.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, TypeVar

from .errors import ArchiveError, StorageError
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
    any step is undone at the next open by the same rule (``FileStore.recover``), and so is a
    commit whose outcome nobody can tell (the catalogue server went away during it)."""
    placed: list[StagedAsset] = []
    committing = False
    try:
        for asset in staged:
            archive.store.place(asset)
            placed.append(asset)
        with archive.catalogue.transaction():
            # Under the writers' lock, which recovery on another PC takes too: the staging
            # session must still be ours, or its placements may have been cleaned up meanwhile.
            archive.store.check_still_staged(staged)
            result = write()
            # Asked before the commit: after it, the server may be gone (restarted) though the
            # import did happen, which must not be reported as a failure.
            kept = [archive.catalogue.has_storage_dir(asset.storage_dir) for asset in staged]
            committing = True  # a failure from here on is the COMMIT's: it may have happened
    except BaseException as exc:
        outcome = _outcome(archive, staged, kept) if committing else False
        if outcome is None:  # nobody can tell now: the placements stay for recovery to settle
            archive.store.abandon_session()
            raise StorageError("The catalogue server stopped answering while the import was being saved. "
                               "Whether it was saved is settled the next time the archive is opened; "
                               "nothing is left half-done. Check the item list then.") from exc
        if not outcome:
            for asset in placed:
                archive.store.unplace(asset)
            for asset in staged[len(placed):]:
                archive.store.discard(asset)
            raise
    for asset, recorded in zip(staged, kept, strict=True):
        if recorded:
            archive.store.confirm(asset)
        else:
            archive.store.unplace(asset)
    return result


def _outcome(archive: Archive, staged: Sequence[StagedAsset], kept: list[bool]) -> bool | None:
    """After a failed COMMIT: whether it happened after all (the assets it would record are
    there), or None when the catalogue cannot say now."""
    if not any(kept):
        return False  # it recorded none of these files: removing them is right either way
    try:
        recorded = [archive.catalogue.has_storage_dir(staged[n].storage_dir) for n, k in enumerate(kept) if k]
    except ArchiveError:
        return None
    return all(recorded)
