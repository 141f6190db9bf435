"""``heritage team …``: the roles of a team archive, for the person who runs it (see README,
"Roles"). The database enforces them; these commands set them up and hand them out.

    heritage --archive DIR team setup-roles        the roles and their grants (owner or superuser)
    heritage --archive DIR team grant USER ROLE    make a database user a viewer, cataloguer or reviewer
    heritage --archive DIR team revoke USER        take their role away
    heritage --archive DIR team list               who holds which role
    heritage --archive DIR team whoami             who you are connected as, and what you may do
"""

from __future__ import annotations

import argparse
from typing import Any

from archive import Archive
from archive.text import printable

from .cli import _archive


def cmd_setup_roles(args: argparse.Namespace) -> int:
    with _archive(args) as archive:
        tables = archive.team_roles().set_up()
    roles = ", ".join(f"heritage_{r}" for r in Archive.TEAM_ROLES)
    print(f"Team roles ready ({roles}); {tables} tables granted. Next: a database user per person "
          "(createuser --pwprompt NAME), then `heritage --archive DIR team grant NAME cataloguer`.")
    return 0


def cmd_grant(args: argparse.Namespace) -> int:
    with _archive(args) as archive:
        archive.team_roles().grant(args.user, args.role)
    print(f"{printable(args.user)} is now a {args.role}")
    return 0


def cmd_revoke(args: argparse.Namespace) -> int:
    with _archive(args) as archive:
        had = archive.team_roles().revoke(args.user)
    print(f"{printable(args.user)} no longer has the role(s): {', '.join(had)}" if had
          else f"{printable(args.user)} had no team role")
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    with _archive(args) as archive:
        members = archive.team_roles().members()
    for user, role in members:
        print(f"{printable(user):<24} {role}")
    if not members:
        print("nobody holds a team role yet (heritage --archive DIR team grant USER ROLE)")
    return 0


def cmd_whoami(args: argparse.Namespace) -> int:
    with _archive(args) as archive:
        access = archive.access()
    kind = "team archive" if access.team else "single-user archive"
    may = ", ".join(sorted(access.actions)) or "read only"
    print(f"{kind}: connected as {printable(access.user)} ({access.role}); may: {may}")
    return 0


def register(sub: Any) -> None:
    """Add ``team`` and its actions to the ``heritage`` command line (``cli.build_parser``)."""
    parser = sub.add_parser("team", help="roles of a team archive: set up, grant, revoke, list",
                            description="Roles of a team archive (PostgreSQL catalogue): viewer reads, cataloguer "
                                        "imports and edits, reviewer may also set items reviewed or published.")
    actions = parser.add_subparsers(dest="team_command", required=True, metavar="ACTION")

    def add(name: str, handler: Any, help_: str) -> argparse.ArgumentParser:
        p = actions.add_parser(name, help=help_, description=help_)
        p.set_defaults(func=handler)
        return p

    add("setup-roles", cmd_setup_roles, "create the roles and their grants (as the catalogue's owner or a superuser)")
    p = add("grant", cmd_grant, "give a database user a role (replacing the one they had)")
    p.add_argument("user", help="a PostgreSQL login (createuser --pwprompt NAME makes one)")
    p.add_argument("role", choices=Archive.TEAM_ROLES)
    add("revoke", cmd_revoke, "take a database user's team role away").add_argument("user")
    add("list", cmd_list, "who holds which role")
    add("whoami", cmd_whoami, "who you are connected as, and what you may do")
