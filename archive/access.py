"""What the connected user may do with an archive: ``Archive.access()`` returns an ``Access``.

A single-user archive lets its one user do everything (nothing at all on read-only media). A
team archive asks its PostgreSQL catalogue: the roles and grants there decide
(``archive.catalogue.postgres_roles``), and the app greys out what they refuse. The database
enforces them either way; this is so a user is told before trying, not after.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import StorageError
from .fields import ITEM_FIELD

if TYPE_CHECKING:
    from .catalogue.postgres_roles import TeamRoles

ACTIONS = ("import", "edit", "vocabulary", "delete", "review", "admin")
"""import: add items and scans; edit: change items and scans; vocabulary: add terms; delete:
delete items; review: set an item's status to reviewed or published (or back), and delete such
an item; admin: set up the team's roles and hand them out (the catalogue's owner)."""

REVIEWED_STATUSES = tuple(s for s in ITEM_FIELD["status"].choices if s != "draft")
"""The statuses only a reviewer may give an item or take from it."""

ROLES = ("viewer", "cataloguer", "reviewer")
"""The team roles, each allowed what the one before it is, and more."""

_WHAT = {
    "import": "import scans or add items",
    "edit": "edit items",
    "vocabulary": "add vocabulary terms",
    "delete": "delete items",
    "review": "set an item's status to reviewed or published",
    "admin": "set up or hand out team roles",
}


@dataclass(frozen=True)
class Access:
    """Who is connected (``user``: the database user on a team archive, whose name every event
    they make carries) with which ``role`` ("owner", one of ``ROLES``, "none" on a team archive;
    "single user" otherwise), and the ``actions`` (of ``ACTIONS``) they may take."""

    user: str
    role: str
    team: bool
    actions: frozenset[str] = field(default_factory=frozenset)
    read_only: bool = False  # on read-only media: nothing that writes, whatever the role
    reviewed_statuses: tuple[str, ...] = REVIEWED_STATUSES

    def may(self, action: str) -> bool:
        return action in self.actions

    def denial(self, action: str) -> str:
        """Why ``action`` is refused, in a sentence a museum worker can act on ("" if it is not)."""
        if self.may(action):
            return ""
        what = _WHAT.get(action, action)
        if self.read_only:
            return f"The archive is on read-only media: you cannot {what}."
        if self.role == "none":
            return (f"You are connected as {self.user}, who has no role in this team archive: you cannot {what}. "
                    "Ask whoever runs it to grant you one.")
        return f"You are connected as {self.user} with the {self.role} role: you cannot {what}."

    def on_read_only_media(self) -> Access:
        return Access(self.user, self.role, self.team, frozenset(), True)


def single_user(agent: str) -> Access:
    """A single-user archive: its one user may do everything."""
    return Access(agent, "single user", False, frozenset(ACTIONS))


class TeamAccess:
    """``Archive``'s part about who may do what (a mixin: the archive supplies these attributes)."""

    TEAM_ROLES = ROLES
    root: Path
    catalogue: Any
    agent: str
    read_only: bool

    def access(self) -> Access:
        """Who is connected and what they may do: everything on a single-user archive, what the
        database grants on a team archive (asked afresh), nothing that writes on read-only media."""
        asked = getattr(self.catalogue, "access", None)  # only a team catalogue has roles
        found = asked() if asked is not None else single_user(self.agent)
        return found.on_read_only_media() if self.read_only else found

    def team_roles(self) -> TeamRoles:
        """Set up the team roles and hand them out (``archive.catalogue.postgres_roles``): IT's
        work, on a connection as the catalogue's owner or a database superuser."""
        roles = getattr(self.catalogue, "roles", None)
        if roles is None:
            raise StorageError(f"{self.root} is a single-user archive: roles belong to team archives, whose "
                               "catalogue is on PostgreSQL (`heritage migrate SRC DEST --catalogue URL`).")
        result: TeamRoles = roles()
        return result
