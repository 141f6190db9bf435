"""The archive: catalogue, file store, import, search, export. No Qt, no viewer."""

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
from .search import SearchQuery
from .service import Archive, Change
from .store import CancelToken

__all__ = [
    "Archive", "ArchiveError", "CancelToken", "Cancelled", "CatalogueDamaged", "Change", "CorruptFile",
    "DuplicateImport", "EditConflict", "EmptyModel", "ImportFailed", "LimitExceeded", "NotFound", "SearchQuery",
    "StorageError", "UnsafeReference", "UnsupportedFormat", "ValidationError",
]
