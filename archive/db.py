"""Moved to ``archive.catalogue.sqlite_db``. This alias remains only until heritage_app/tasks.py
opens its worker archives with ``Archive.open(root, recover=False)``; then delete it."""

from .catalogue.sqlite_db import connect

__all__ = ["connect"]
