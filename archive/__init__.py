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
    StorageError,
    UnsafeReference,
    UnsupportedFormat,
    ValidationError,
)
from .reports import CsvReport, ImportOptions, ImportReport, VerifyReport
from .search import SearchQuery
from .service import Archive, Change
from .store import CancelToken

__all__ = [
    "Archive", "ArchiveError", "CancelToken", "Cancelled", "CatalogueDamaged", "Change", "CorruptFile", "CsvReport",
    "DuplicateImport", "EditConflict", "EmptyModel", "ImportFailed", "ImportOptions", "ImportReport",
    "LimitExceeded", "NotFound", "SearchQuery", "StorageError", "UnsafeReference", "UnsupportedFormat",
    "ValidationError", "VerifyReport",
]
