"""The settings file of a team archive: ``team.json`` in the shared folder names its catalogue.

``{"catalogue": "postgresql://host:port/db"}``: where the catalogue is, never who connects. Each
user's name and password come from the environment (PGUSER, PGPASSWORD), ~/.pgpass
(%APPDATA%/postgresql/pgpass.conf on Windows) or a service file, as for any PostgreSQL client.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from .errors import StorageError

TEAM_FILE = "team.json"
SCHEMES = ("postgresql", "postgres")


def is_team(root: Path) -> bool:
    return (root / TEAM_FILE).is_file()


def check_url(url: str) -> str:
    """The URL if it names a PostgreSQL database; raises StorageError otherwise."""
    parts = urlsplit(url)
    if parts.scheme not in SCHEMES or not parts.path.strip("/"):
        raise StorageError(f"{url!r} is not a catalogue address; give postgresql://USER@HOST/DATABASE")
    return url


def shared_url(url: str) -> str:
    """``url`` without its user name and password: what the shared folder may hold."""
    parts = urlsplit(check_url(url))
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit((parts.scheme, host, parts.path, parts.query, ""))


def read(root: Path) -> str:
    """The catalogue URL a team archive's settings name."""
    try:
        settings = json.loads((root / TEAM_FILE).read_text(encoding="utf-8"))
        url = settings["catalogue"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise StorageError(f"{root / TEAM_FILE} cannot be read as a team archive's settings ({exc}); it should "
                           'hold {"catalogue": "postgresql://HOST/DATABASE"}') from exc
    if not isinstance(url, str) or urlsplit(url).password:
        raise StorageError(f"{root / TEAM_FILE} must name the catalogue without a password")
    return check_url(url)


def write(root: Path, url: str) -> str:
    """Write the settings (atomically); returns the URL stored, without user or password."""
    stored = shared_url(url)
    part = root / (TEAM_FILE + ".part")
    part.write_text(json.dumps({"catalogue": stored}, indent=1) + "\n", encoding="utf-8")
    with open(part, "rb") as f:
        os.fsync(f.fileno())
    os.replace(part, root / TEAM_FILE)
    return stored
