"""Team roles on a PostgreSQL catalogue: three group roles, their grants, and the triggers that
hold what grants cannot say. The database enforces all of it; the app only mirrors it.

- ``heritage_viewer`` reads everything, and may log its own exports, fixity checks and backups.
- ``heritage_cataloguer`` imports and edits items, scans, records and vocabularies: every right
  on every table but the event log (append-only: SELECT, INSERT) and the migrations (read-only).
- ``heritage_reviewer`` is a member of ``heritage_cataloguer``, and (with the catalogue's owner)
  the only one the status guard lets give an item the status reviewed or published, take it
  away again, or delete such an item.

A person is a LOGIN role made a member of one of them (``grant``). The grants name no table:
they cover every table and sequence of the catalogue's schema as found in the database, so one
a later migration adds is covered too (default privileges, and ``grant_tables`` again after a
migration: ``regrant_after_upgrade``). Every event a team member writes carries their database
user (``session_user``) as its agent, whatever the client sent; the owner's events keep the
agent the client gives, because ``migrate`` copies other people's events into the catalogue.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
from psycopg import sql

from ..access import ACTIONS, REVIEWED_STATUSES, ROLES, Access
from ..errors import StorageError
from . import postgres_schema
from .postgres_schema import MIGRATIONS_TABLE

GROUPS = {role: f"heritage_{role}" for role in ROLES}
VIEWER_EVENTS = ("export", "fixity", "backup")  # what a viewer does that the event log keeps
APPEND_ONLY = ("events",)  # nobody but the owner rewrites history
READ_ONLY_TABLES = (MIGRATIONS_TABLE,)
STATUS_GUARD = "heritage_status_guard"
_TABLE_RIGHTS = "SELECT, INSERT, UPDATE, DELETE"


def _quoted(values: tuple[str, ...]) -> str:
    return ", ".join("'" + v.replace("'", "''") + "'" for v in values)


_GUARDED = _quoted(REVIEWED_STATUSES)
# The guards run as the user they guard, whose search_path may put a schema of their own first: a
# function there named like ours or pg_catalog's must not answer for them.
_PINNED = "SET search_path = pg_catalog, @SCHEMA@"
TRIGGERS = f"""
CREATE OR REPLACE FUNCTION heritage_owns(rel oid) RETURNS boolean LANGUAGE sql STABLE {_PINNED} AS
$$ SELECT pg_has_role(current_user, relowner, 'MEMBER') FROM pg_class WHERE oid = rel $$;

CREATE OR REPLACE FUNCTION heritage_status_guard() RETURNS trigger LANGUAGE plpgsql {_PINNED} AS $$
BEGIN
  IF pg_has_role(current_user, '{GROUPS["reviewer"]}', 'MEMBER') OR heritage_owns(TG_RELID) THEN
    IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
    RETURN NEW;
  END IF;
  IF TG_OP = 'DELETE' THEN
    RAISE EXCEPTION 'only a reviewer may delete item %, which is %', OLD.accession, OLD.status
      USING ERRCODE = 'insufficient_privilege';
  ELSIF TG_OP = 'INSERT' THEN
    RAISE EXCEPTION 'only a reviewer may give item % the status %', NEW.accession, NEW.status
      USING ERRCODE = 'insufficient_privilege';
  END IF;
  RAISE EXCEPTION 'only a reviewer may change the status of item % from % to %', NEW.accession, OLD.status,
    NEW.status USING ERRCODE = 'insufficient_privilege';
END $$;

CREATE OR REPLACE FUNCTION heritage_event_agent() RETURNS trigger LANGUAGE plpgsql {_PINNED} AS $$
BEGIN
  IF heritage_owns(TG_RELID) THEN
    RETURN NEW;
  END IF;
  NEW.agent := session_user;
  IF NEW.type NOT IN ({_quoted(VIEWER_EVENTS)}) AND NOT pg_has_role(current_user, '{GROUPS["cataloguer"]}', 'MEMBER')
  THEN
    RAISE EXCEPTION 'only exports, fixity checks and backups may be logged, not "%" events', NEW.type
      USING ERRCODE = 'insufficient_privilege';
  END IF;
  RETURN NEW;
END $$;

DROP TRIGGER IF EXISTS {STATUS_GUARD}_insert ON items;
DROP TRIGGER IF EXISTS {STATUS_GUARD}_update ON items;
DROP TRIGGER IF EXISTS {STATUS_GUARD}_delete ON items;
DROP TRIGGER IF EXISTS heritage_event_agent ON events;
-- WHEN keeps the function off the rows that touch no guarded status (bulk imports of drafts).
CREATE TRIGGER {STATUS_GUARD}_insert BEFORE INSERT ON items FOR EACH ROW
  WHEN (NEW.status IN ({_GUARDED})) EXECUTE FUNCTION heritage_status_guard();
CREATE TRIGGER {STATUS_GUARD}_update BEFORE UPDATE OF status ON items FOR EACH ROW
  WHEN (OLD.status IS DISTINCT FROM NEW.status AND (OLD.status IN ({_GUARDED}) OR NEW.status IN ({_GUARDED})))
  EXECUTE FUNCTION heritage_status_guard();
CREATE TRIGGER {STATUS_GUARD}_delete BEFORE DELETE ON items FOR EACH ROW
  WHEN (OLD.status IN ({_GUARDED})) EXECUTE FUNCTION heritage_status_guard();
CREATE TRIGGER heritage_event_agent BEFORE INSERT ON events FOR EACH ROW EXECUTE FUNCTION heritage_event_agent();
"""

_MEMBER = "coalesce(pg_has_role(current_user, to_regrole(%s)::oid, 'MEMBER'), false)"
_ACCESS = f"""
SELECT session_user::text, pg_has_role(current_user, c.relowner, 'MEMBER'),
  {_MEMBER}, {_MEMBER}, {_MEMBER},
  has_table_privilege('events', 'INSERT'),
  has_table_privilege('items', 'INSERT') AND has_table_privilege('assets', 'INSERT')
    AND has_table_privilege('files', 'INSERT'),
  has_table_privilege('items', 'UPDATE') AND has_table_privilege('assets', 'UPDATE'),
  has_table_privilege('vocabulary', 'INSERT'),
  has_table_privilege('items', 'DELETE') AND has_table_privilege('assets', 'DELETE')
    AND has_table_privilege('files', 'DELETE'),
  EXISTS (SELECT 1 FROM pg_trigger WHERE tgrelid = c.oid AND tgname LIKE '{STATUS_GUARD}%%')
FROM pg_class c WHERE c.oid = 'items'::regclass
"""


# -- who is connected --------------------------------------------------------------------------
def access(conn: psycopg.Connection[Any]) -> Access:
    """What the connected user may do, as the database's grants and roles say."""
    row = conn.execute(_ACCESS, [GROUPS["reviewer"], GROUPS["cataloguer"], GROUPS["viewer"]]).fetchone()
    assert row is not None
    user, owner, reviewer, cataloguer, viewer, log, insert, update, vocabulary, delete, guarded = row
    role = ("owner" if owner else "reviewer" if reviewer else "cataloguer" if cataloguer
            else "viewer" if viewer else "none")
    if owner:
        return Access(user, role, True, frozenset(ACTIONS))
    may = {"import": insert, "edit": update, "vocabulary": vocabulary, "delete": delete}
    actions = {a for a, granted in may.items() if granted and log}
    if "edit" in actions and (reviewer or not guarded):  # without the guard, editing is reviewing
        actions.add("review")
    return Access(user, role, True, frozenset(actions))


def denied(who: Access, exc: psycopg.Error, statement: str = "") -> str:
    """A refusal by the database (missing grant, or the guards above) as a sentence for the user."""
    primary = (exc.diag.message_primary or str(exc)).strip()
    if who.role == "none":
        whom = f"You are connected as {who.user}, who has no role in this team archive"
    else:
        whom = f"You are connected as {who.user} with the {who.role} role"
    if primary.startswith("only "):  # the guards' own words
        return f"{whom}: {primary}. Nothing was saved."
    if not who.actions - {"review", "admin"}:  # reads only: whatever the statement was, no change is theirs
        return f"{whom}, which only reads: you cannot change the catalogue ({primary}). Nothing was saved."
    return f"{whom}: you cannot {_what(statement, primary)} ({primary}). Nothing was saved."


def _what(statement: str, primary: str) -> str:
    verb = statement.lstrip().split(" ", 1)[0].upper()
    if primary.endswith("table vocabulary"):
        return "add vocabulary terms"
    return {"INSERT": "import scans or add items", "COPY": "import scans or add items", "UPDATE": "edit items",
            "DELETE": "delete items", "SELECT": "read the catalogue"}.get(verb, "change the catalogue")


@contextmanager
def refusals_at_open(url_where: str, user: str) -> Iterator[None]:
    """Opening the catalogue: a user without a role cannot read it, and only the owner can bring
    its schema up to date for a newer version of the app. Both say so instead of a traceback."""
    try:
        yield
    except psycopg.errors.InsufficientPrivilege as exc:
        raise StorageError(
            f"You are connected to the catalogue at {url_where} as {user}, who may not read it or bring it up to "
            f"date ({exc.diag.message_primary or exc}). Ask whoever runs the team archive to grant you a role "
            "(`heritage team grant USER viewer|cataloguer|reviewer`), or, after installing a new version, to "
            "open the archive once themselves so its catalogue is updated.") from exc


# -- setting up --------------------------------------------------------------------------------
def set_up(conn: psycopg.Connection[Any]) -> int:
    """Create the group roles (if missing), grant them their rights on every table and sequence,
    make later tables theirs too, and install the guards. Idempotent. Needs the catalogue's
    owner, with CREATEROLE (or a superuser) the first time. Returns how many tables are granted."""
    with _as_admin(), conn.transaction():
        cur = conn.cursor()
        for group in GROUPS.values():
            if cur.execute("SELECT to_regrole(%s)", [group]).fetchone() == (None,):
                cur.execute(sql.SQL("CREATE ROLE {} NOLOGIN").format(sql.Identifier(group)))
        if not _direct_member(cur, GROUPS["reviewer"], GROUPS["cataloguer"]):
            cur.execute(sql.SQL("GRANT {} TO {}").format(sql.Identifier(GROUPS["cataloguer"]),
                                                         sql.Identifier(GROUPS["reviewer"])))
        _grant_database(cur)
        _default_privileges(cur)
        cur.execute(TRIGGERS.replace("@SCHEMA@", sql.Identifier(_schema(cur)).as_string(cur)))
        return grant_tables(cur)


def grant_tables(cur: psycopg.Cursor[Any]) -> int:
    """Grant the roles their rights on every table and sequence of the catalogue's schema, exactly
    (earlier rights are revoked first); returns how many tables."""
    viewer, cataloguer = sql.Identifier(GROUPS["viewer"]), sql.Identifier(GROUPS["cataloguer"])
    schema = sql.Identifier(_schema(cur))
    everyone = sql.SQL(", ").join(sql.Identifier(g) for g in GROUPS.values())
    cur.execute(sql.SQL("GRANT USAGE ON SCHEMA {} TO {}").format(schema, everyone))
    tables = [r[0] for r in cur.execute("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"
                                        " ORDER BY 1").fetchall()]
    for table in tables:
        name = sql.Identifier(table)
        rights = ("SELECT" if table in READ_ONLY_TABLES else "SELECT, INSERT" if table in APPEND_ONLY
                  else _TABLE_RIGHTS)
        cur.execute(sql.SQL("REVOKE ALL ON {} FROM {}").format(name, everyone))
        cur.execute(sql.SQL("GRANT " + rights + " ON {} TO {}").format(name, cataloguer))
        viewer_rights = "SELECT, INSERT" if table in APPEND_ONLY else "SELECT"  # its exports are logged
        cur.execute(sql.SQL("GRANT " + viewer_rights + " ON {} TO {}").format(name, viewer))
    cur.execute(sql.SQL("GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {} TO {}, {}").format(
        schema, viewer, cataloguer))
    return len(tables)


def regrant_after_upgrade(cur: psycopg.Cursor[Any], before: list[str] | None) -> None:
    """After migration steps ran on a catalogue with roles (``before``: the steps applied before
    ``postgres_schema.upgrade``), grant the roles their rights on whatever tables the steps added
    (default privileges cover only tables created by the roles they were set for)."""
    if before is None or {name for name, _step in postgres_schema.STEPS} <= set(before) or not is_set_up(cur):
        return
    grant_tables(cur)


def is_set_up(cur: psycopg.Cursor[Any]) -> bool:
    row = cur.execute("SELECT count(*) FROM pg_trigger WHERE tgrelid = 'items'::regclass AND tgname LIKE %s",
                      [STATUS_GUARD + "%"]).fetchone()
    return bool(row and row[0])


def _default_privileges(cur: psycopg.Cursor[Any]) -> None:
    """Tables and sequences the owner (or whoever runs this) creates later get the same rights."""
    owners = {r[0] for r in cur.execute(
        "SELECT DISTINCT r.rolname FROM pg_roles r, pg_class c WHERE c.oid = 'items'::regclass"
        " AND r.oid IN (c.relowner, (SELECT oid FROM pg_roles WHERE rolname = current_user))"
        " AND pg_has_role(current_user, r.oid, 'MEMBER')").fetchall()}
    schema = sql.Identifier(_schema(cur))
    viewer, cataloguer = sql.Identifier(GROUPS["viewer"]), sql.Identifier(GROUPS["cataloguer"])
    for owner in sorted(owners):
        prefix = sql.SQL("ALTER DEFAULT PRIVILEGES FOR ROLE {} IN SCHEMA {} ").format(sql.Identifier(owner), schema)
        cur.execute(prefix + sql.SQL("GRANT SELECT ON TABLES TO {}").format(viewer))
        cur.execute(prefix + sql.SQL("GRANT " + _TABLE_RIGHTS + " ON TABLES TO {}").format(cataloguer))
        cur.execute(prefix + sql.SQL("GRANT USAGE, SELECT ON SEQUENCES TO {}, {}").format(viewer, cataloguer))


def _grant_database(cur: psycopg.Cursor[Any]) -> None:
    """CONNECT on the database, in case PUBLIC's was revoked (only its owner can grant it)."""
    row = cur.execute("SELECT current_database(), pg_has_role(current_user, datdba, 'MEMBER') FROM pg_database"
                      " WHERE datname = current_database()").fetchone()
    if row and row[1]:
        everyone = sql.SQL(", ").join(sql.Identifier(g) for g in GROUPS.values())
        cur.execute(sql.SQL("GRANT CONNECT ON DATABASE {} TO {}").format(sql.Identifier(row[0]), everyone))


def _schema(cur: psycopg.Cursor[Any]) -> str:
    row = cur.execute("SELECT current_schema()").fetchone()
    assert row is not None
    return str(row[0])


def _direct_member(cur: psycopg.Cursor[Any], member: str, group: str) -> bool:
    return cur.execute("SELECT 1 FROM pg_auth_members m JOIN pg_roles u ON u.oid = m.member"
                       " JOIN pg_roles g ON g.oid = m.roleid WHERE u.rolname = %s AND g.rolname = %s",
                       [member, group]).fetchone() is not None


@contextmanager
def _as_admin() -> Iterator[None]:
    try:
        yield
    except psycopg.errors.InsufficientPrivilege as exc:
        raise StorageError(
            f"Setting up or handing out team roles needs the catalogue's owner, with the right to create roles, or "
            f"a database superuser ({exc.diag.message_primary or exc}): run the command as them, e.g. "
            "PGUSER=postgres. Nothing was changed.") from exc


# -- handing roles out -------------------------------------------------------------------------
def grant(conn: psycopg.Connection[Any], user: str, role: str) -> None:
    """Make the database user ``user`` a ``role`` (one of ``ROLES``), and nothing else of ours."""
    if role not in GROUPS:
        raise StorageError(f"{role!r} is not a team role; choose one of {', '.join(ROLES)}")
    with _as_admin(), conn.transaction():
        cur = conn.cursor()
        _check_user(cur, user)
        for other in GROUPS.values():
            if other != GROUPS[role] and _direct_member(cur, user, other):
                cur.execute(sql.SQL("REVOKE {} FROM {}").format(sql.Identifier(other), sql.Identifier(user)))
        if not _direct_member(cur, user, GROUPS[role]):
            cur.execute(sql.SQL("GRANT {} TO {}").format(sql.Identifier(GROUPS[role]), sql.Identifier(user)))


def revoke(conn: psycopg.Connection[Any], user: str) -> list[str]:
    """Take every team role away from ``user``; returns the roles they had."""
    with _as_admin(), conn.transaction():
        cur = conn.cursor()
        _check_user(cur, user)
        had = [role for role, group in GROUPS.items() if _direct_member(cur, user, group)]
        for role in had:
            cur.execute(sql.SQL("REVOKE {} FROM {}").format(sql.Identifier(GROUPS[role]), sql.Identifier(user)))
        return had


def members(conn: psycopg.Connection[Any]) -> list[tuple[str, str]]:
    """(user, role) of everyone holding a team role, by name."""
    rows = conn.execute(
        "SELECT u.rolname, g.rolname FROM pg_auth_members m JOIN pg_roles u ON u.oid = m.member"
        " JOIN pg_roles g ON g.oid = m.roleid WHERE g.rolname = ANY(%s) AND u.rolname <> ALL(%s) ORDER BY 1, 2",
        [list(GROUPS.values()), list(GROUPS.values())]).fetchall()
    role_of = {group: role for role, group in GROUPS.items()}
    return [(user, role_of[group]) for user, group in rows]


def _check_user(cur: psycopg.Cursor[Any], user: str) -> None:
    if not _groups_exist(cur):
        raise StorageError("The team roles are not set up yet: run `heritage --archive DIR team setup-roles` first.")
    row = cur.execute("SELECT rolcanlogin FROM pg_roles WHERE rolname = %s", [user]).fetchone()
    if row is None:
        raise StorageError(f"There is no database user {user!r}: create it first, e.g. `createuser --pwprompt "
                           f"{user}` (or CREATE ROLE \"{user}\" LOGIN PASSWORD '…').")
    if user in GROUPS.values():
        raise StorageError(f"{user!r} is one of the team roles, not a person's database user")


def _groups_exist(cur: psycopg.Cursor[Any]) -> bool:
    row = cur.execute("SELECT count(*) FROM pg_roles WHERE rolname = ANY(%s)", [list(GROUPS.values())]).fetchone()
    return bool(row and row[0] == len(GROUPS))


class TeamRoles:
    """The roles of one team archive's catalogue, for whoever runs it (``Archive.team_roles``)."""

    def __init__(self, conn: psycopg.Connection[Any]):
        self.conn = conn

    def set_up(self) -> int:
        return set_up(self.conn)

    def grant(self, user: str, role: str) -> None:
        grant(self.conn, user, role)

    def revoke(self, user: str) -> list[str]:
        return revoke(self.conn, user)

    def members(self) -> list[tuple[str, str]]:
        return members(self.conn)
