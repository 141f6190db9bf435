"""platform_support: what differs between Windows, macOS and Linux, and the rule that nothing
else touches POSIX-only modules."""

from __future__ import annotations

import ast
import os
import stat
import subprocess
import sys
import time
from pathlib import Path, PurePosixPath, PureWindowsPath

import pytest

import platform_support
from archive import health
from archive.errors import UnsafeReference
from archive.portable import stored_names
from archive.safepaths import check_relative
from platform_support import files, gl, processes

ROOT = Path(__file__).resolve().parents[1]
CHECKED = ("archive", "viewer", "workers", "heritage_app", "glbtools")
POSIX_ONLY = {"fcntl", "resource", "termios", "pwd", "grp", "posix"}


# --- the rule --------------------------------------------------------------------------------

def _posix_uses(path: Path, root: Path = ROOT) -> list[str]:
    found = []
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                 else [node.module or ""] if isinstance(node, ast.ImportFrom) and node.level == 0 else [])
        found += [f"{path.relative_to(root)}:{node.lineno} imports {n}" for n in names
                  if n.split(".")[0] in POSIX_ONLY]
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and "/proc/" in node.value:
            found.append(f"{path.relative_to(root)}:{node.lineno} reads {node.value!r}")
    return found


def test_only_platform_support_touches_posix_only_modules():
    uses = [u for pkg in CHECKED for p in sorted((ROOT / pkg).rglob("*.py")) for u in _posix_uses(p)]
    assert uses == [], "move these into platform_support:\n" + "\n".join(uses)


def test_the_rule_sees_imports_and_proc_reads(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text("import os, fcntl\nfrom resource import getrlimit\nopen('/proc/mounts')\nimport resourceful\n")
    assert _posix_uses(sample, tmp_path) == ["sample.py:1 imports fcntl", "sample.py:2 imports resource",
                                             "sample.py:3 reads '/proc/mounts'"]


# --- locks -------------------------------------------------------------------------------

def test_a_held_lock_is_seen_and_released(tmp_path):
    lock_file = tmp_path / "session.lock"
    assert not platform_support.lock_held(lock_file)  # no file: nobody holds it
    held = platform_support.hold_lock(lock_file)
    assert platform_support.lock_held(lock_file)  # this very process counts as a holder
    held.release()
    assert not platform_support.lock_held(lock_file)


def test_a_killed_holder_leaves_no_stale_lock(tmp_path):
    lock_file = tmp_path / "session.lock"
    child = subprocess.Popen([sys.executable, "-c", (
        "import sys, time; from pathlib import Path; import platform_support as p; "
        f"held = p.hold_lock(Path({str(lock_file)!r})); print('held', flush=True); time.sleep(60)")],
        stdout=subprocess.PIPE, text=True, cwd=ROOT)
    assert child.stdout is not None and child.stdout.readline().strip() == "held"
    assert platform_support.lock_held(lock_file)
    child.kill()
    child.wait()
    assert not platform_support.lock_held(lock_file)


# --- worker start method and memory ------------------------------------------------------

def test_start_method_follows_the_environment(monkeypatch):
    monkeypatch.setenv(processes.START_METHOD_ENV, "spawn")
    assert platform_support.start_method() == "spawn"
    monkeypatch.setenv(processes.START_METHOD_ENV, "teleport")
    with pytest.raises(ValueError, match="teleport"):
        platform_support.start_method()
    monkeypatch.delenv(processes.START_METHOD_ENV)
    expected = "forkserver" if sys.platform.startswith("linux") else "spawn"
    assert platform_support.start_method() == expected


def test_memory_guard_raises_memory_error_above_the_limit():
    import psutil

    limit = psutil.Process().memory_info().rss + 64 * 1024**2
    hoard = []
    with pytest.raises(MemoryError), processes.MemoryGuard(limit) as guard:
        for _ in range(100):  # up to 800 MiB, in steps the watchdog sees
            hoard.append(bytearray(8 * 1024**2))
            time.sleep(0.005)
    assert guard.tripped and len(hoard) < 100
    hoard.clear()


def test_memory_guard_leaves_a_job_under_the_limit_alone():
    with processes.MemoryGuard(1 << 50) as guard:
        total = sum(range(10_000))
    assert total and not guard.tripped


def test_rlimit_is_used_only_on_linux(monkeypatch):
    monkeypatch.setattr(processes.sys, "platform", "darwin")
    assert isinstance(platform_support.memory_guard(1 << 30), processes.MemoryGuard)
    assert not isinstance(platform_support.memory_guard(None), processes.MemoryGuard)


# --- read-only marking, links, fsync -------------------------------------------------------

def _tree(tmp_path: Path) -> Path:
    folder = tmp_path / "asset"
    (folder / "textures").mkdir(parents=True)
    (folder / "model.obj").write_text("v 0 0 0\n")
    (folder / "textures" / "a.png").write_bytes(b"png")
    return folder


def test_read_only_marking_and_back(tmp_path):
    folder = _tree(tmp_path)
    platform_support.make_read_only(folder)
    assert not os.stat(folder / "model.obj").st_mode & stat.S_IWUSR
    platform_support.make_writable(folder)
    assert os.stat(folder / "model.obj").st_mode & stat.S_IWUSR
    (folder / "model.obj").write_text("changed")


def test_remove_tree_keeps_the_mode_of_linked_originals(tmp_path):
    original = _tree(tmp_path)
    platform_support.make_read_only(original)
    backup = tmp_path / "backup"
    backup.mkdir()
    assert platform_support.hard_link(original / "model.obj", backup / "model.obj")
    platform_support.make_read_only(backup)
    platform_support.remove_tree(backup)
    assert not backup.exists()
    assert not os.stat(original / "model.obj").st_mode & stat.S_IWUSR
    platform_support.make_writable(original)


def test_without_hard_links_files_are_copied(tmp_path, monkeypatch):
    src = tmp_path / "a.bin"
    src.write_bytes(b"\x00\x01" * 1000)

    def no_links(*_a: object) -> None:
        raise OSError(1, "Operation not permitted")  # what FAT/exFAT answers

    monkeypatch.setattr(files.os, "link", no_links)
    assert not platform_support.hard_link(src, tmp_path / "b.bin") and not (tmp_path / "b.bin").exists()
    assert platform_support.link_or_copy(src, tmp_path / "b.bin") is False
    assert (tmp_path / "b.bin").read_bytes() == src.read_bytes()


def test_fsync_dir_does_nothing_on_windows(tmp_path, monkeypatch):
    monkeypatch.setattr(files, "WINDOWS", True)
    monkeypatch.setattr(files.os, "open", lambda *_a: (_ for _ in ()).throw(PermissionError("a folder")))
    platform_support.fsync_dir(tmp_path)  # no error: Windows cannot open a folder


# --- file systems ---------------------------------------------------------------------------

def test_the_file_system_of_a_folder_is_found(tmp_path):
    fs = platform_support.filesystem(tmp_path)
    assert fs is not None and fs.type and Path(fs.mountpoint) in (tmp_path, *tmp_path.resolve().parents)


@pytest.mark.parametrize("fs, warned", [
    (files.FileSystem("ext4", "/", False), False),
    (files.FileSystem("nfs4", "/mnt/share", False), True),
    (files.FileSystem("smbfs", "/Volumes/share", False), True),  # macOS
    (files.FileSystem("NTFS", "Z:\\", True), True),  # Windows marks a mapped network drive remote
], ids=["local", "nfs", "smb-mac", "windows-remote"])
def test_network_drives_are_warned_about(tmp_path, monkeypatch, fs, warned):
    monkeypatch.setattr(health, "filesystem", lambda _path: fs)
    warnings = health.location_warnings(tmp_path)
    assert any("network drive" in w for w in warnings) == warned


# --- Open3D without GL ---------------------------------------------------------------------

def test_missing_gl_library_is_named_with_its_package(monkeypatch):
    monkeypatch.setattr(gl.sys, "platform", "linux")
    message = gl.open3d_error_message(OSError("libGL.so.1: cannot open shared object file: No such file"))
    assert "libGL.so.1" in message and "libgl1" in message and "\n" not in message


def test_import_open3d_turns_a_load_failure_into_a_typed_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "open3d", None)  # what a failed import looks like
    with pytest.raises(platform_support.Open3DUnavailable, match="Open3D could not be loaded"):
        platform_support.import_open3d()


# --- path rules against Windows names -------------------------------------------------------

WINDOWS_HOSTILE = [
    "C:\\Windows\\system32\\x.dll", "C:x.obj", "c:/tex.png", "\\\\server\\share\\a.obj", "\\\\?\\C:\\a",
    "\\\\.\\PhysicalDrive0", "..\\..\\boot.ini", "tex\\..\\..\\a.png", "\\rooted.obj", "a/C:/b.png",
]


@pytest.mark.parametrize("name", WINDOWS_HOSTILE)
def test_windows_hostile_names_are_refused(name):
    with pytest.raises(UnsafeReference):
        check_relative(name, "a test", backslashes=True)


@pytest.mark.parametrize("name", ["textures/a.png", "Bát/ảnh 1.png", "a.b/c d.mtl", "x..y.obj"])
def test_accepted_names_stay_inside_a_windows_folder(name):
    rel = check_relative(name, "a test", backslashes=True)
    root = PureWindowsPath("C:/Archive/objects/ab/abcd")
    target = root.joinpath(*PurePosixPath(rel).parts)
    assert target.drive == root.drive and target.is_relative_to(root) and ".." not in target.parts


def _windows_can_hold(part: str) -> bool:
    win = PureWindowsPath(part)
    return (len(win.parts) == 1 and not win.is_reserved() and part[-1] not in ". "
            and not any(c in '<>:"|?*' or ord(c) < 32 for c in part) and len(part.encode("utf-8")) <= 255)


@pytest.mark.parametrize("name", ["CON", "nul.txt", "textures/COM1.png", "a./b.png", "tex/a .png"])
def test_names_windows_cannot_hold_are_handled(name):
    """Accepted as original names, stored under names Windows can hold (issue 14, archive.portable)."""
    check_relative(name, "a test", backslashes=True)
    stored = stored_names([name])[name]
    assert all(_windows_can_hold(p) for p in stored.split("/")), stored
    assert (stored == name) == all(_windows_can_hold(p) for p in name.split("/"))  # "a .png" is legal as it is


# --- whole paths under Windows' MAX_PATH ----------------------------------------------------

#: a long but ordinary place for an archive on a museum PC (83 characters, OneDrive-redirected)
WINDOWS_ARCHIVE = PureWindowsPath("C:/Users/Nguyễn Thị Minh Khai/OneDrive - Bảo tàng Lịch sử Quốc gia/Heritage Archive")
UID = "0123456789abcdef0123456789abcdef"
#: where the store and the readable copies put an asset's files, and where an import stages them
ASSET_FOLDERS = [f"objects/{UID[:2]}/{UID}", f"derived/r1/{UID}", f"staging/{'f' * 32}/{UID}"]
DEEP = ["Reality Capture export 2024-05-12 Bát cổ men lam thời Lê/textures/high resolution/"
        "Bat_co_men_lam_diffuse_8k_u1_v1.png",
        "Reality Capture export 2024-05-12 Bát cổ men lam thời Lê/textures/high resolution/"
        "Bat_co_men_lam_normal_8k_u1_v1.png",
        "Reality Capture export 2024-05-12 Bát cổ men lam thời Lê/model.obj",
        "a/" * 40 + "deep.mtl",
        "ả" * 200 + ".jpg",  # 401 bytes: over the name limit and the path budget
        "b" * 98 + ".tif",  # portable on its own, two characters over the budget
        "short/tex.png"]


def _windows_length(path: PureWindowsPath) -> int:
    return len(str(path).encode("utf-16-le")) // 2  # MAX_PATH counts UTF-16 code units


def test_every_stored_path_fits_windows_max_path_in_a_long_archive_folder():
    assert _windows_length(WINDOWS_ARCHIVE) == 83
    stored = stored_names(DEEP)
    assert max(_windows_length(WINDOWS_ARCHIVE / rel) for rel in DEEP) > 259  # as named, they would not fit
    for rel in stored.values():
        assert all(_windows_can_hold(p) for p in PurePosixPath(rel).parts), rel
        for folder in ASSET_FOLDERS:
            target = WINDOWS_ARCHIVE.joinpath(*PurePosixPath(folder).parts, *PurePosixPath(rel).parts)
            assert _windows_length(target) <= 259, (target, _windows_length(target))
            assert target.is_relative_to(WINDOWS_ARCHIVE / PureWindowsPath(folder))


def test_shortened_paths_are_unique_and_keep_folders_together():
    stored = stored_names(DEEP)
    assert len({PureWindowsPath(s) for s in stored.values()}) == len(DEEP)  # PureWindowsPath compares folded
    texture_folders = {PureWindowsPath(stored[p]).parent for p in DEEP[:2]}
    assert len(texture_folders) == 1  # two files of one folder stay in one (shortened) folder
    folder = texture_folders.pop()
    assert len(folder.parts) == 1 and folder.name.startswith("high resolution_~")
    assert PureWindowsPath(stored[DEEP[0]]).name == "Bat_co_men_lam_diffuse_8k_u1_v1.png"  # names kept when they fit
    assert stored[DEEP[2]] == DEEP[2] and stored["short/tex.png"] == "short/tex.png"  # short paths untouched
    assert PureWindowsPath(stored["b" * 98 + ".tif"]).suffix == ".tif"


def test_shortening_is_deterministic_and_stable_across_engines_and_copies():
    stored = stored_names(DEEP)
    assert stored_names(list(reversed(DEEP))) == stored
    assert stored_names(list(stored.values())) == {s: s for s in stored.values()}  # already within the budget
    # a different folder gets a different short folder, even with the same last name
    other = stored_names([DEEP[0].replace("2024-05-12", "2024-05-13"), DEEP[0]])
    assert len({PureWindowsPath(v).parent for v in other.values()}) == 2
