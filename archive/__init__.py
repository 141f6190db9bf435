"""The archive: catalogue, file store, import, search, export. No Qt, no viewer.

The public surface: ``Archive`` (every read and write of an archive, long operations
included), the value objects it takes and returns, and the typed errors. The app and scripts
use these (and ``archive.fields``, ``archive.text``, ``archive.errors``, ``archive.publish``,
``archive.demo``), never the modules behind them.
"""

from .errors import (
    ArchiveError,
    Cancelled,
    CatalogueDamaged,
    CorruptFile,
    DuplicateImport,
    EditConflict,
    EmptyModel,
    ImportFailed,
    LimitExceeded,
    NotFound,
    SaveOutcomeUnknown,
    StorageError,
    UnsafeReference,
    UnsupportedFormat,
    ValidationError,
)
from .reports import CsvReport, ImportOptions, ImportReport, VerifyReport
from .search import SearchQuery
from .service import Archive, Change, ChangeEvent
from .store import CancelToken


def scan_file_patterns() -> str:
    """``"*.ply *.obj …"``: every extension the importer accepts, for file dialogs (from the
    import table, so a new format shows up by itself)."""
    from .formats.registry import dialog_patterns

    return dialog_patterns()


__all__ = [
    "Archive", "ArchiveError", "CancelToken", "Cancelled", "CatalogueDamaged", "Change", "ChangeEvent", "CorruptFile",
    "CsvReport", "DuplicateImport", "EditConflict", "EmptyModel", "ImportFailed", "ImportOptions", "ImportReport",
    "LimitExceeded", "NotFound", "SaveOutcomeUnknown", "SearchQuery", "StorageError", "UnsafeReference",
    "UnsupportedFormat", "ValidationError", "VerifyReport", "scan_file_patterns",
]
