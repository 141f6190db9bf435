"""The `heritage` command line: the JSON contract, exit codes, one-line errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import trimesh

from heritage_app.cli import main

from .helpers import write_box_ply, write_textured_obj


@pytest.fixture
def arch(tmp_path: Path) -> str:
    root = tmp_path / "arch"
    assert main(["--archive", str(root), "init"]) == 0
    return str(root)


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_import_json_lists_items_assets_files_and_errors(arch, tmp_path, capsys):
    good = write_textured_obj(tmp_path / "in")
    bad = tmp_path / "in" / "bad.stl"
    bad.write_bytes(b"\x00" * 10)
    code, out, err = run(capsys, "--archive", arch, "import", str(good), str(bad), "--kind", "relic",
                         "--title", "Bình men lam", "--collection", "Cổ vật", "--set", "capture_method=laser",
                         "--json")
    assert code == 1  # one path failed; the other was still imported
    result = json.loads(out)
    (item,) = result["items"]
    assert (item["kind"], item["title"], item["collections"]) == ("relic", "Bình men lam", ["Cổ vật"])
    asset = item["assets"][0]
    assert {"format", "files", "vertices", "faces", "points", "textured", "bbox"} <= set(asset)
    assert set(asset["files"][0]) >= {"path", "sha256", "bytes"}
    assert set(asset["bbox"]) == {"min", "max"} and asset["capture_method"] == "laser"
    assert result["errors"][0]["path"].endswith("bad.stl") and result["errors"][0]["error"]


def test_list_search_show_edit_history(arch, tmp_path, capsys):
    run(capsys, "--archive", arch, "import", str(write_box_ply(tmp_path / "in")), "--kind", "dish",
        "--title", "Bún bò Huế")
    code, out, _ = run(capsys, "--archive", arch, "search", "bun bo hue", "--json")
    assert code == 0 and [i["title"] for i in json.loads(out)] == ["Bún bò Huế"]
    assert json.loads(run(capsys, "--archive", arch, "list", "--kind", "relic", "--json")[1]) == []
    assert run(capsys, "--archive", arch, "edit", "1", "--set", "region=Huế")[0] == 0
    assert json.loads(run(capsys, "--archive", arch, "show", "1", "--json")[1])["region"] == "Huế"
    code, out, _ = run(capsys, "--archive", arch, "history", "1")
    assert "import" in out and "region" in out


@pytest.mark.parametrize("args, message", [
    (["edit", "1", "--set", "year_from=1900", "--set", "year_to=1800"], "year_to"),
    (["edit", "1", "--set", "status=gone"], "status"),
    (["show", "99"], "no item 99"),
    (["delete", "1"], "--yes"),
])
def test_errors_are_one_line_with_exit_1(arch, tmp_path, capsys, args, message):
    run(capsys, "--archive", arch, "import", str(write_box_ply(tmp_path / "in")))
    code, _out, err = run(capsys, "--archive", arch, *args)
    assert code == 1
    assert message in err and err.count("\n") == 1 and "Traceback" not in err


def test_usage_errors_exit_2(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["import"])
    assert exit_.value.code == 2


def test_verify_exits_1_on_a_damaged_file(arch, tmp_path, capsys):
    run(capsys, "--archive", arch, "import", str(write_box_ply(tmp_path / "in")))
    assert run(capsys, "--archive", arch, "verify")[0] == 0
    stored = next(Path(arch, "objects").rglob("box.ply"))
    stored.chmod(0o644)
    stored.write_bytes(stored.read_bytes() + b" ")
    code, out, _ = run(capsys, "--archive", arch, "verify", "--json")
    assert code == 1 and json.loads(out)["counts"]["changed"] == 1


def test_the_installed_command_runs_in_a_fresh_process(arch):
    result = subprocess.run([sys.executable, "-m", "heritage_app.cli", "--archive", arch, "summary"],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0 and "0 items" in result.stdout


def test_demo_archive_has_relics_dishes_textures_and_a_point_cloud(tmp_path, capsys):
    assert main(["demo", str(tmp_path / "demo")]) == 0
    capsys.readouterr()
    items = json.loads(run(capsys, "--archive", str(tmp_path / "demo"), "list", "--json")[1])
    assert {i["kind"] for i in items} == {"relic", "dish"} and len(items) >= 12
    assets = [a for i in items for a in i["assets"]]
    assert any(a["textured"] for a in assets) and any(a["vertex_colors"] for a in assets)
    assert any(a["geometry"] == "points" for a in assets)
    assert all(i["title_vi"] and i["title_en"] for i in items)


def test_rotating_backups_from_the_command_line(arch, capsys):
    for _ in range(3):
        assert run(capsys, "--archive", arch, "backup", "--auto", "--now", "--keep", "2")[0] == 0
    assert len(list(Path(arch, "backups").iterdir())) == 2
    code, out, _ = run(capsys, "--archive", arch, "backup", "--auto")
    assert code == 0 and "nothing to do" in out
    assert run(capsys, "--archive", arch, "backup")[0] == 1  # neither a folder nor --auto


def test_site_into_a_folder_of_user_files_is_one_error_line_and_touches_nothing(arch, tmp_path, capsys):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.docx").write_text("mine")
    code, _, err = run(capsys, "--archive", arch, "site", "--out", str(out), "--no-poster")
    assert code == 1 and len(err.splitlines()) == 1 and err.startswith("error: ") and "choose" in err
    assert "unexpected" not in err  # a refusal the user can act on, not a crash report
    assert [p.name for p in out.iterdir()] == ["notes.docx"] and (out / "notes.docx").read_text() == "mine"


def test_csv_export_writes_no_cell_a_spreadsheet_would_run(arch, tmp_path, capsys):
    run(capsys, "--archive", arch, "import", str(write_box_ply(tmp_path / "in")), "--title", "=cmd|'/C calc'!A0",
        "--set", "date_text=@SUM(1+1)")
    code, _, _ = run(capsys, "--archive", arch, "csv-export", str(tmp_path / "out.csv"))
    text = (tmp_path / "out.csv").read_text(encoding="utf-8-sig")
    assert code == 0 and ",'=cmd|" in text and ",'@SUM(1+1)" in text and ",=" not in text and ",@" not in text


def test_a_missing_gl_library_is_one_line_naming_it_not_a_traceback(tmp_path):
    """Open3D cannot load when the system lacks libGL (a bare Linux box): the CLI says which
    library to install, in one line."""
    import subprocess
    import sys

    script = (
        "import sys, importlib.abc\n"
        "class NoGL(importlib.abc.MetaPathFinder):\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name == 'open3d' or name.startswith('open3d.'):\n"
        "            raise OSError('libGL.so.1: cannot open shared object file: No such file or directory')\n"
        "sys.meta_path.insert(0, NoGL())\n"
        "from heritage_app.cli import main\n"
        "sys.exit(main(['snapshot', sys.argv[1], '--out', sys.argv[2]]))\n"
    )
    scan = tmp_path / "box.ply"  # a command that renders needs Open3D (listing an archive no longer does)
    trimesh.creation.box().export(scan)
    done = subprocess.run([sys.executable, "-c", script, str(scan), str(tmp_path / "v.png")], capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert done.stderr.count("\n") == 1 and "libGL.so.1" in done.stderr and "apt-get install" in done.stderr


def test_version(capsys):
    from heritage_app.cli import main

    with pytest.raises(SystemExit) as stop:
        main(["--version"])
    assert stop.value.code == 0 and capsys.readouterr().out.startswith("heritage ")
