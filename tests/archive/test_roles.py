"""Team roles (archive.catalogue.postgres_roles): the database refuses what a role may not do, the
refusal reaches the user as one clear sentence, and every event carries the database user.

Each person is a PostgreSQL login on the session's throwaway server, connecting through the team
archive's settings (which name no user) with PGUSER from the environment, as a real client does.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from archive import Archive, StorageError
from archive.access import ACTIONS
from heritage_app.cli import main

from .helpers import write_box_ply

psycopg = pytest.importorskip("psycopg")

PEOPLE = {"anna": "cataloguer", "binh": "reviewer", "chi": "viewer"}
NOBODY = "dung"  # a login with no team role


@pytest.fixture
def team(pg_server: Any, tmp_path: Path) -> Iterator[Path]:
    """A team archive with two items (a draft and a published one), roles set up, and anna, binh
    and chi holding their roles; yields its folder. Made by the superuser (the owner)."""
    root = tmp_path / "share" / "team"
    with psycopg.connect(pg_server.admin_url(), autocommit=True) as admin:
        for user in [*PEOPLE, NOBODY]:
            if admin.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [user]).fetchone() is None:
                admin.execute(f'CREATE ROLE "{user}" LOGIN')
    with Archive.create(root, catalogue=pg_server.new_database(pg_server.catalogue_template())) as archive:
        archive.add_item({"kind": "dish", "accession": "D-1", "title_vi": "Bún bò Huế"})
        archive.add_item({"kind": "relic", "accession": "R-1", "title_vi": "Chuông đồng", "status": "published"})
        roles = archive.team_roles()
        roles.set_up()
        for user, role in PEOPLE.items():
            roles.grant(user, role)
        roles.revoke(NOBODY)
    return root


def open_as(root: Path, user: str, monkeypatch: pytest.MonkeyPatch, agent: str | None = None) -> Archive:
    monkeypatch.setenv("PGUSER", user)
    return Archive.open(root, agent=agent)


def as_sql(pg_server: Any, root: Path, user: str) -> Any:
    """A raw connection as ``user``: what a modified client could send, bypassing the app."""
    url = json.loads((root / "team.json").read_text(encoding="utf-8"))["catalogue"]
    return psycopg.connect(url.replace("://", f"://{user}@"), autocommit=True)


def item_id(archive: Archive, accession: str) -> int:
    found = archive.find_by_accession(accession)
    assert found is not None
    return found


# -- setting up ------------------------------------------------------------------------------
def test_setup_grants_every_table_and_can_run_again(team: Path, pg_server: Any, monkeypatch: pytest.MonkeyPatch):
    with open_as(team, "postgres", monkeypatch) as owner:
        assert owner.team_roles().set_up() == owner.team_roles().set_up()  # idempotent
        url = owner.catalogue.url.replace("://", "://postgres@")
    with psycopg.connect(url) as conn:
        tables = [r[0] for r in conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")]
        assert {"items", "assets", "files", "events", "vocabulary", "heritage_migrations"} <= set(tables)
        for table in tables:
            rights = {role: {p for p in ("SELECT", "INSERT", "UPDATE", "DELETE") if conn.execute(
                "SELECT has_table_privilege(%s, %s, %s)", [f"heritage_{role}", table, p]).fetchone()[0]}
                for role in ("viewer", "cataloguer", "reviewer")}
            assert rights["viewer"] == ({"SELECT", "INSERT"} if table == "events" else {"SELECT"}), table
            expected = ({"SELECT"} if table == "heritage_migrations" else {"SELECT", "INSERT"} if table == "events"
                        else {"SELECT", "INSERT", "UPDATE", "DELETE"})
            assert rights["cataloguer"] == rights["reviewer"] == expected, table


def test_access_says_what_each_role_may_do(team: Path, monkeypatch: pytest.MonkeyPatch):
    expected = {
        "postgres": ("owner", set(ACTIONS)),
        "binh": ("reviewer", {"import", "edit", "vocabulary", "delete", "review"}),
        "anna": ("cataloguer", {"import", "edit", "vocabulary", "delete"}),
        "chi": ("viewer", set()),
    }
    for user, (role, actions) in expected.items():
        with open_as(team, user, monkeypatch) as archive:
            access = archive.access()
            assert (access.user, access.role, access.team, set(access.actions)) == (user, role, True, actions)
    with open_as(team, "chi", monkeypatch) as archive:
        denial = archive.access().denial("edit")
        assert denial == "You are connected as chi with the viewer role: you cannot edit items."


def test_a_login_without_a_role_cannot_open_the_catalogue_and_is_told_why(team: Path,
                                                                         monkeypatch: pytest.MonkeyPatch):
    with pytest.raises(StorageError, match=f"as {NOBODY}, who may not read it .*team grant USER"):
        open_as(team, NOBODY, monkeypatch)


# -- what each role may do -------------------------------------------------------------------
def test_a_viewer_reads_and_exports_but_every_write_is_refused_clearly(team: Path, monkeypatch: pytest.MonkeyPatch):
    with open_as(team, "chi", monkeypatch) as viewer:
        dish = item_id(viewer, "D-1")
        before = (viewer.count(), viewer.get(dish), viewer.history(dish), viewer.vocabulary("materials"))
        for write in (lambda: viewer.add_item({"kind": "dish", "title_vi": "Cơm hến"}),
                      lambda: viewer.update(dish, {"title_en": "Hue beef noodle soup"}),
                      lambda: viewer.add_vocabulary("materials", "đá ong"),
                      lambda: viewer.delete(dish, confirmed=True)):
            with pytest.raises(StorageError, match=r"^You are connected as chi with the viewer role, which only "
                                                   r"reads: you cannot change the catalogue \(permission denied"):
                write()
        assert (viewer.count(), viewer.get(dish), viewer.history(dish), viewer.vocabulary("materials")) == before
        assert viewer.search_ids() and viewer.rows(viewer.search_ids())
        viewer.record_event("export", item_id=dish, detail={"format": "glb"})  # reading is logged as theirs
        assert viewer.history(dish)[-1]["type"] == "export" and viewer.history(dish)[-1]["agent"] == "chi"


def test_a_viewers_refused_import_leaves_nothing_behind(team: Path, tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch):
    scan = write_box_ply(tmp_path / "scans")
    with open_as(team, "chi", monkeypatch) as viewer:
        with pytest.raises(StorageError, match="^You are connected as chi with the viewer role"):
            viewer.import_paths([scan])  # like read-only media, it stops the whole import
        assert viewer.count() == 2
        assert viewer.verify().ok
    assert not any((team / "objects").rglob("*.ply"))


def test_the_database_refuses_a_viewer_even_without_the_app(team: Path, pg_server: Any):
    with as_sql(pg_server, team, "chi") as conn:
        for statement in ("UPDATE items SET title_en = 'x'", "DELETE FROM events",
                          "INSERT INTO events (at, agent, type) VALUES ('now', 'binh', 'edit')"):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(statement)


def test_a_cataloguer_imports_and_edits_but_cannot_publish(team: Path, tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch):
    with open_as(team, "anna", monkeypatch) as cataloguer:
        report = cataloguer.import_paths([write_box_ply(tmp_path / "scans")])
        assert report.imported and not report.errors
        new = report.imported[0]
        cataloguer.update(new, {"title_vi": "Hộp gỗ", "materials": []})
        cataloguer.add_vocabulary("materials", "đá ong")
        bell = item_id(cataloguer, "R-1")
        cataloguer.update(bell, {"title_en": "Bronze bell"})  # a published item's other fields stay editable
        for status in ("reviewed", "published"):
            with pytest.raises(StorageError, match=f"^You are connected as anna with the cataloguer role: only a "
                                                   f"reviewer may change the status of item .* from draft to {status}"):
                cataloguer.update(new, {"status": status})
        with pytest.raises(StorageError, match="only a reviewer may change the status of item R-1 from published"):
            cataloguer.update(bell, {"status": "draft"})
        with pytest.raises(StorageError, match="only a reviewer may give item .* the status reviewed"):
            cataloguer.add_item({"kind": "dish", "title_vi": "Chè", "status": "reviewed"})
        with pytest.raises(StorageError, match="only a reviewer may give item .* the status published"):
            cataloguer.add_items([{"kind": "dish", "title_vi": "Chè"},
                                  {"kind": "dish", "title_vi": "Xôi", "status": "published"}])
        with pytest.raises(StorageError, match="only a reviewer may delete item R-1, which is published"):
            cataloguer.delete(bell, confirmed=True)
        assert cataloguer.get(new)["status"] == "draft" and cataloguer.get(bell)["status"] == "published"
        assert cataloguer.count() == 3
        cataloguer.delete(item_id(cataloguer, "D-1"), confirmed=True)  # a draft is theirs to delete
        assert cataloguer.verify().ok


def test_a_reviewer_publishes_unpublishes_and_deletes(team: Path, monkeypatch: pytest.MonkeyPatch):
    with open_as(team, "binh", monkeypatch) as reviewer:
        dish, bell = item_id(reviewer, "D-1"), item_id(reviewer, "R-1")
        reviewer.update(dish, {"status": "reviewed"})
        reviewer.update(dish, {"status": "published"})
        reviewer.update(bell, {"status": "draft"})
        reviewer.add_item({"kind": "dish", "title_vi": "Chè", "status": "published"})
        assert [reviewer.get(i)["status"] for i in (dish, bell)] == ["published", "draft"]
        reviewer.delete(dish, confirmed=True)
        assert reviewer.find_by_accession("D-1") is None


# -- who did it ------------------------------------------------------------------------------
def test_every_event_carries_the_database_user_whatever_the_client_says(team: Path, pg_server: Any,
                                                                         monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("HERITAGE_USER", "someone-else")
    for user in ("anna", "binh"):
        with open_as(team, user, monkeypatch, agent="not-" + user) as archive:
            assert archive.agent == user
            new = archive.add_item({"kind": "dish", "title_vi": f"Món của {user}"})
            archive.update(new, {"title_en": f"{user}'s dish"})
            assert [e["agent"] for e in archive.history(new)] == [user, user]
    with as_sql(pg_server, team, "anna") as conn:  # a modified client cannot sign as someone else
        conn.execute("INSERT INTO events (at, agent, type, item_id) VALUES ('2024-01-01', 'binh', 'edit', 1)")
        assert conn.execute("SELECT agent FROM events ORDER BY id DESC LIMIT 1").fetchone()[0] == "anna"


def test_the_owner_keeps_the_agent_it_gives(team: Path, monkeypatch: pytest.MonkeyPatch):
    """migrate copies other people's events into a new team catalogue as its owner."""
    with open_as(team, "postgres", monkeypatch, agent="lan") as owner:
        new = owner.add_item({"kind": "dish", "title_vi": "Bánh bèo"})
        assert owner.history(new)[0]["agent"] == "lan"


# -- later migrations ------------------------------------------------------------------------
def _later_step(monkeypatch: pytest.MonkeyPatch) -> None:
    from archive.catalogue import postgres_schema

    def step(cur: Any) -> None:
        cur.execute("CREATE TABLE later_things (id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, note TEXT)")

    monkeypatch.setattr(postgres_schema, "STEPS", [*postgres_schema.STEPS, ("999_later_things", step)])


@pytest.mark.parametrize("default_privileges", [True, False])
def test_a_table_a_later_migration_adds_is_granted_to_the_roles(team: Path, pg_server: Any,
                                                                 monkeypatch: pytest.MonkeyPatch,
                                                                 default_privileges: bool):
    """By default privileges, and, where those do not apply (revoked here: a table made by another
    role), by granting again after the step."""
    if not default_privileges:
        with as_sql(pg_server, team, "postgres") as conn:
            conn.execute("ALTER DEFAULT PRIVILEGES FOR ROLE postgres IN SCHEMA public REVOKE ALL ON TABLES"
                         " FROM heritage_cataloguer, heritage_viewer")
    _later_step(monkeypatch)
    open_as(team, "postgres", monkeypatch).close()  # the owner opens first and the step runs
    with as_sql(pg_server, team, "anna") as conn:
        conn.execute("INSERT INTO later_things (note) VALUES ('ok')")
    with as_sql(pg_server, team, "chi") as conn:
        assert conn.execute("SELECT note FROM later_things").fetchall() == [("ok",)]
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("INSERT INTO later_things (note) VALUES ('no')")


def test_a_team_member_cannot_bring_the_catalogue_up_to_date_and_is_told_who_can(team: Path,
                                                                                 monkeypatch: pytest.MonkeyPatch):
    _later_step(monkeypatch)
    with pytest.raises(StorageError, match="as anna, who may not read it or bring it up to date .*open the archive"):
        open_as(team, "anna", monkeypatch)
    open_as(team, "postgres", monkeypatch).close()
    open_as(team, "anna", monkeypatch).close()  # once the owner has, everyone opens it


# -- the command line ------------------------------------------------------------------------
def test_the_team_commands_set_up_grant_list_and_revoke(team: Path, monkeypatch: pytest.MonkeyPatch,
                                                        capsys: pytest.CaptureFixture[str]):
    monkeypatch.setenv("PGUSER", "postgres")
    archive = ["--archive", str(team), "team"]
    assert main([*archive, "setup-roles"]) == 0
    assert "tables granted" in capsys.readouterr().out
    assert main([*archive, "grant", NOBODY, "viewer"]) == 0
    assert main([*archive, "grant", NOBODY, "reviewer"]) == 0  # replaces, never adds up
    capsys.readouterr()
    assert main([*archive, "list"]) == 0
    listed = [line.split() for line in capsys.readouterr().out.splitlines()]
    assert [NOBODY, "reviewer"] in listed and [NOBODY, "viewer"] not in listed and ["anna", "cataloguer"] in listed
    monkeypatch.setenv("PGUSER", NOBODY)
    assert main([*archive, "whoami"]) == 0
    assert f"connected as {NOBODY} (reviewer)" in capsys.readouterr().out
    monkeypatch.setenv("PGUSER", "postgres")
    assert main([*archive, "revoke", NOBODY]) == 0
    assert f"{NOBODY} no longer has the role(s): reviewer" in capsys.readouterr().out


def test_team_commands_say_plainly_what_is_wrong(team: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                 capsys: pytest.CaptureFixture[str]):
    archive = ["--archive", str(team), "team"]
    monkeypatch.setenv("PGUSER", "postgres")
    assert main([*archive, "grant", "nobody_here", "viewer"]) == 1
    assert "There is no database user 'nobody_here': create it first" in capsys.readouterr().err
    monkeypatch.setenv("PGUSER", "anna")
    assert main([*archive, "grant", "chi", "reviewer"]) == 1
    assert "needs the catalogue's owner" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main([*archive, "grant", "chi", "admin"])


# -- single-user archives --------------------------------------------------------------------
def test_the_one_user_may_do_everything_except_on_read_only_media(tmp_path: Path):
    with Archive.create(tmp_path / "a", agent="lan") as archive:
        assert set(archive.access().actions) == set(ACTIONS)
        archive.read_only = True  # as Archive.open finds it on a read-only medium
        access = archive.access()
        assert access.actions == frozenset()
        assert access.denial("import") == "The archive is on read-only media: you cannot import scans or add items."


@pytest.mark.sqlite_only
def test_roles_belong_to_team_archives(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    assert main(["init", str(tmp_path / "a")]) == 0
    assert main(["--archive", str(tmp_path / "a"), "team", "setup-roles"]) == 1
    assert "is a single-user archive: roles belong to team archives" in capsys.readouterr().err
    assert main(["--archive", str(tmp_path / "a"), "team", "whoami"]) == 0
    assert "single-user archive: connected as" in capsys.readouterr().out


def test_the_readme_way_an_owner_with_createrole_sets_up_and_hands_out_roles(pg_server: Any, tmp_path: Path,
                                                                             monkeypatch: pytest.MonkeyPatch,
                                                                             capsys: pytest.CaptureFixture[str]):
    """No superuser at work: the database's owner (a login with CREATEROLE) inits the archive, sets
    the roles up and grants them; its own events keep the name it gives, a member's do not."""
    url = pg_server.new_database()
    with psycopg.connect(pg_server.admin_url(), autocommit=True) as admin:
        for user, extra in (("it_owner", " CREATEROLE"), ("lan", "")):
            if admin.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [user]).fetchone() is None:
                admin.execute(f'CREATE ROLE "{user}" LOGIN{extra}')
        admin.execute(f'ALTER DATABASE "{url.rsplit("/", 1)[1]}" OWNER TO it_owner')
        if admin.info.server_version >= 160000:  # roles another test's superuser made: CREATEROLE alone
            for group in ("viewer", "cataloguer", "reviewer"):  # no longer lets it_owner hand them out
                if admin.execute("SELECT to_regrole(%s)", [f"heritage_{group}"]).fetchone()[0] is not None:
                    admin.execute(f"GRANT heritage_{group} TO it_owner WITH ADMIN OPTION")
    monkeypatch.setenv("PGUSER", "it_owner")
    root = tmp_path / "team"
    archive = ["--archive", str(root), "team"]
    assert main(["init", "--catalogue", url, str(root)]) == 0
    assert main([*archive, "setup-roles"]) == 0
    assert main([*archive, "grant", "lan", "cataloguer"]) == 0
    with open_as(root, "it_owner", monkeypatch, agent="IT") as owner:
        assert owner.access().role == "owner"
        published = owner.add_item({"kind": "dish", "title_vi": "Bún", "status": "published"})
        assert owner.history(published)[0]["agent"] == "IT"
    with open_as(root, "lan", monkeypatch, agent="IT") as lan:
        assert lan.access().role == "cataloguer"
        new = lan.add_item({"kind": "dish", "title_vi": "Chè"})
        assert lan.history(new)[0]["agent"] == "lan"
        with pytest.raises(StorageError, match="only a reviewer may change the status"):
            lan.update(published, {"status": "draft"})


def test_a_function_of_the_users_own_schema_cannot_stand_in_for_the_guards(team: Path, pg_server: Any):
    """The default search_path looks in a schema named after the user first: the guards must not."""
    with as_sql(pg_server, team, "postgres") as admin:
        admin.execute("CREATE SCHEMA anna AUTHORIZATION anna")
    with as_sql(pg_server, team, "anna") as conn:
        for name, args in (("heritage_owns", "rel oid"), ("pg_has_role", "u name, r text, m text")):
            conn.execute(f"CREATE FUNCTION anna.{name}({args}) RETURNS boolean LANGUAGE sql AS 'SELECT true'")
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="only a reviewer may change the status"):
            conn.execute("UPDATE public.items SET status = 'published' WHERE accession = 'D-1'")
        conn.execute("INSERT INTO public.events (at, agent, type) VALUES ('2024-01-01', 'binh', 'edit')")
        assert conn.execute("SELECT agent FROM public.events ORDER BY id DESC LIMIT 1").fetchone()[0] == "anna"
