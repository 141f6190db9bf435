"""Typed errors of the archive. Each message is meant for a museum worker: it says what is
wrong and, where possible, what to do about it."""

from __future__ import annotations

import sqlite3
from typing import Any

# Errors of the catalogue's database that reached a caller unconverted; the app names them
# without importing sqlite3 itself (only archive/ talks SQL).
DATABASE_ERRORS: tuple[type[BaseException], ...] = (sqlite3.Error,)


class ArchiveError(Exception):
    """Base of every error the archive raises on purpose."""


class ImportFailed(ArchiveError):
    """A file or folder could not be imported; the archive is unchanged."""


class UnsupportedFormat(ImportFailed):
    """The file is not a 3D format the archive reads."""


class CorruptFile(ImportFailed):
    """The file claims to be a known format but its contents are broken or truncated."""


class EmptyModel(CorruptFile):
    """The file parses but holds no geometry."""


class UnsafeReference(ImportFailed):
    """A file refers to something outside its import folder or on the network."""


class LimitExceeded(ImportFailed):
    """The file declares more data than the archive accepts or than the file holds."""


class DuplicateImport(ImportFailed):
    """Identical bytes are already in the archive."""

    def __init__(self, message: str, existing_item_id: int):
        super().__init__(message)
        self.existing_item_id = existing_item_id


class ValidationError(ArchiveError):
    """A field value is not acceptable. ``field`` names the field; ``code`` is a stable name of
    the rule broken ("required", "range", "unknown_term"…) and ``params`` its values, so a user
    interface can say it in its own language (``reason`` is the English sentence)."""

    def __init__(self, field: str, message: str, code: str = "invalid", params: dict[str, Any] | None = None):
        super().__init__(f"{field}: {message}")
        self.field = field
        self.reason = message
        self.code = code
        self.params: dict[str, Any] = params or {}


class ValidationErrors(ValidationError):
    """Every problem found in one item at once, in the order of the form (``ITEM_FIELDS``).
    ``field``, ``reason`` and ``code`` are the first problem's, so ``except ValidationError``
    code keeps working; ``problems`` holds them all."""

    def __init__(self, problems: list[ValidationError]):
        first = problems[0]
        super().__init__(first.field, first.reason, first.code, first.params)
        self.problems = problems
        if len(problems) > 1:
            self.args = (f"{len(problems)} problems: " + "; ".join(str(p) for p in problems),)


class NotFound(ArchiveError):
    """No item, asset or file with that identifier."""


class Cancelled(ArchiveError):
    """The user cancelled a long operation; nothing was changed."""


class StorageError(ArchiveError):
    """The disk refused a write (full, read-only, permissions); nothing was changed."""


class SaveOutcomeUnknown(StorageError):
    """The connection was lost while a save committed and the catalogue cannot be asked yet
    whether it was saved: neither "saved" nor "not saved" may be said; saving again settles it."""


class CatalogueDamaged(ArchiveError):
    """The catalogue database failed its integrity check; writes are blocked."""


class EditConflict(ArchiveError):
    """Someone else saved the same field(s) of an item after this editor loaded it; nothing was
    saved. ``conflicts`` holds, per field, both values and who saved theirs when; save again with
    ``expected_version=current_version`` to keep yours, or reload to take theirs."""

    def __init__(self, item_id: int, conflicts: list[dict[str, object]], current_version: int):
        first = conflicts[0]
        more = f" (and {len(conflicts) - 1} more field(s))" if len(conflicts) > 1 else ""
        super().__init__(
            f"{first['field']} of item {item_id} was changed by {first['agent']} at {first['at']} while you were "
            f"editing{more}: saved value {first['theirs']!r}, yours {first['yours']!r}. Nothing was saved; "
            "reload to take theirs or save again to keep yours.")
        self.item_id = item_id
        self.conflicts = conflicts
        self.current_version = current_version


class SiteFolderInUse(ArchiveError, FileExistsError):
    """The output folder of a site build holds files the build did not write; nothing was touched."""
