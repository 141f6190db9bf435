"""The catalogue layer: the only place outside ``archive.schema`` that runs SQL.

``base.Catalogue`` is the contract; ``sqlite.SQLiteCatalogue`` the engine of a single-user
archive (``sqlite_db``: connections and transactions, ``sqlite_sql``: search queries,
``sqlite_files``: catalogue files read without an archive, e.g. inside backups).
"""

from .base import EVENT_COLUMNS, Catalogue
from .sqlite import SQLiteCatalogue
from .sqlite_db import READ_ONLY

__all__ = ["EVENT_COLUMNS", "READ_ONLY", "Catalogue", "SQLiteCatalogue"]
