"""Export reads masters in the isolated worker; workers never outlive the app."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL and /proc are POSIX")


def _alive(pid: int) -> bool:
    """True while ``pid`` runs (a zombie waiting for a reaper counts as gone)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    stat = Path(f"/proc/{pid}/stat")
    try:
        return stat.read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return not stat.parent.parent.is_dir()  # no /proc (macOS): kill(0) said it runs


def _wait_gone(pids: list[int], seconds: float) -> list[int]:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        left = [p for p in pids if _alive(p)]
        if not left:
            return []
        time.sleep(0.1)
    return [p for p in pids if _alive(p)]


APP = textwrap.dedent("""
    import sys, time
    from multiprocessing import forkserver
    from pathlib import Path
    import trimesh
    from archive.isolation import POOL as ARCHIVE_POOL, inspect_isolated
    from viewer.isolated import POOL as VIEWER_POOL, load_model_isolated

    box = Path(sys.argv[1]) / "box.ply"
    trimesh.creation.box().export(box)
    inspect_isolated(box, box.parent)
    load_model_isolated(box)
    pids = ARCHIVE_POOL.worker_pids() + VIEWER_POOL.worker_pids() + [forkserver._forkserver._forkserver_pid]
    print(" ".join(map(str, pids)), flush=True)
    time.sleep(120)
""")


def test_workers_and_forkserver_exit_when_the_app_is_killed(tmp_path: Path) -> None:
    app = subprocess.Popen([sys.executable, "-c", APP, str(tmp_path)], stdout=subprocess.PIPE, text=True)
    try:
        assert app.stdout is not None
        pids = [int(p) for p in app.stdout.readline().split()]
        assert len(pids) == 3 and all(_alive(p) for p in pids)
    finally:
        app.send_signal(signal.SIGKILL)
        app.wait()
    assert _wait_gone(pids, 10) == []


def stuck_in_native_code() -> None:
    """Catastrophic backtracking: ``re`` keeps the GIL, so no watchdog thread can run."""
    import re

    re.match(r"(a+)+$", "a" * 64 + "b")


STUCK_APP = textwrap.dedent("""
    import time
    from multiprocessing import forkserver
    from archive.isolation import POOL
    from tests.archive.test_export_isolation import stuck_in_native_code

    POOL.start(stuck_in_native_code)
    time.sleep(2)  # the worker is in the regex now
    print(" ".join(map(str, POOL.worker_pids() + [forkserver._forkserver._forkserver_pid])), flush=True)
    time.sleep(120)
""")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the parent-death signal is Linux's")
def test_worker_stuck_in_native_code_dies_with_the_app() -> None:
    root = Path(__file__).resolve().parents[2]
    app = subprocess.Popen([sys.executable, "-c", STUCK_APP], stdout=subprocess.PIPE, text=True, cwd=root)
    try:
        assert app.stdout is not None
        pids = [int(p) for p in app.stdout.readline().split()]
        assert len(pids) == 2 and all(_alive(p) for p in pids)
    finally:
        app.send_signal(signal.SIGKILL)
        app.wait()
    assert _wait_gone(pids, 10) == []


WATCHDOG = textwrap.dedent("""
    import os, workers
    ready_r, ready_w = os.pipe()
    pid = os.fork()
    if pid == 0:  # the "worker": only the portable watchdog, no parent-death signal
        ppid = os.getppid()
        os.write(ready_w, b"x")
        workers._watch_parent(ppid)
        os._exit(0)
    os.read(ready_r, 1)
    print(pid, flush=True)
    os._exit(0)  # the "app" dies once the worker watches it
""")


def test_watchdog_alone_ends_a_worker_whose_parent_died() -> None:
    out = subprocess.run([sys.executable, "-c", WATCHDOG], capture_output=True, text=True, timeout=60)
    child = int(out.stdout.split()[0])
    assert _wait_gone([child], 5) == []


# -- hostile masters fail typed, in the worker ------------------------------------------------
def _png_bomb(side: int = 13000) -> bytes:
    """A PNG declaring ``side`` x ``side`` RGB pixels: a few hundred kB of zlib'd zeros."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    packer, row = zlib.compressobj(9), bytes(1 + 3 * side)
    idat = b"".join(packer.compress(row) for _ in range(side)) + packer.flush()
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", side, side, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", idat) + chunk(b"IEND", b""))


def _textured_obj(folder: Path, n: int = 8) -> Path:
    """An OBJ with ``n`` materials, each with its own (small, valid) PNG texture."""
    from PIL import Image

    folder.mkdir(parents=True)
    obj, mtl = ["mtllib m.mtl"], []
    for i in range(n):
        Image.new("RGB", (4, 4), (i * 20, 0, 0)).save(folder / f"t{i}.png")
        mtl += [f"newmtl m{i}", f"map_Kd t{i}.png"]
        obj += [f"v {i} 0 0", f"v {i} 1 0", f"v {i} 0 1", "vt 0 0", "vt 1 0", "vt 0 1", f"usemtl m{i}",
                f"f {3 * i + 1}/{3 * i + 1} {3 * i + 2}/{3 * i + 2} {3 * i + 3}/{3 * i + 3}"]
    (folder / "m.mtl").write_text("\n".join(mtl) + "\n")
    (folder / "bomb.obj").write_text("\n".join(obj) + "\n")
    return folder / "bomb.obj"


def _replace_stored(archive, item_id: int, name: str, data: bytes) -> None:
    """Put hostile bytes where an imported file is stored (a master imported before the
    import checks existed, or planted on the share)."""
    from archive.publish.public import master_asset

    asset = master_asset(archive.get(item_id))
    target = next(archive.store.path(asset["storage_dir"], f["path"]) for f in asset["files"]
                  if f["path"].endswith(name))
    target.chmod(0o644)
    target.write_bytes(data)


EXPORT_BOMB = textwrap.dedent("""
    import json, resource, sys, time
    from pathlib import Path
    from archive import Archive
    from archive.errors import ArchiveError
    from archive.publish import export_item

    root, item = Path(sys.argv[1]), int(sys.argv[2])
    with Archive.open(root / "archive") as archive:
        start = time.monotonic()
        try:
            export_item(archive, item, root / "out", "glb")
            outcome = "exported"
        except ArchiveError as exc:
            outcome = type(exc).__name__ + ": " + str(exc)
        seconds = time.monotonic() - start
    # VmHWM is this program's own peak; ru_maxrss survives exec and would count pytest's
    # memory at the fork (a long test run is several hundred MB) as ours.
    status = Path("/proc/self/status")
    if status.exists():
        peak = next(int(line.split()[1]) * 1024 for line in status.read_text().splitlines()
                    if line.startswith("VmHWM:"))
    else:
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * (1 if sys.platform == "darwin" else 1024)
    print(json.dumps({"outcome": outcome, "seconds": seconds, "peak": peak}))
""")


def test_texture_bomb_obj_fails_typed_and_the_app_never_decodes_it(tmp_path: Path) -> None:
    import json

    from archive import Archive

    from .test_publish_support import add

    with Archive.create(tmp_path / "archive") as archive:
        item = add(archive, _textured_obj(tmp_path / "src"), "relic", accession="BOMB-1")
        bomb = _png_bomb()
        for i in range(8):
            _replace_stored(archive, item, f"t{i}.png", bomb)
    root = Path(__file__).resolve().parents[2]
    run = subprocess.run([sys.executable, "-c", EXPORT_BOMB, str(tmp_path), str(item)], capture_output=True,
                         text=True, timeout=300, cwd=root)
    assert run.returncode == 0, run.stderr[-2000:]
    report = json.loads(run.stdout.strip().splitlines()[-1])
    assert report["outcome"].startswith("LimitExceeded") and "megapixel" in report["outcome"]
    assert report["seconds"] < 20
    assert report["peak"] < 600 * 1024**2  # one decoded texture alone would be 507 MB
    assert not (tmp_path / "out" / "bomb-1.glb").exists()


def _sparse_glb(count: int = 2**30) -> bytes:
    """A GLB whose POSITION accessor declares ``count`` vertices, all but one left to a
    sparse substitution: a few hundred bytes that would need ``12 * count`` bytes."""
    import json
    import struct

    import numpy as np

    indices = np.array([0, 1, 2], np.uint32).tobytes()
    sparse_idx, sparse_val = np.array([1], np.uint32).tobytes(), np.array([1, 1, 1], np.float32).tobytes()
    binary = indices + sparse_idx + sparse_val
    gltf = {"asset": {"version": "2.0"}, "scenes": [{"nodes": [0]}], "scene": 0, "nodes": [{"mesh": 0}],
            "meshes": [{"primitives": [{"attributes": {"POSITION": 0}, "indices": 1}]}],
            "buffers": [{"byteLength": len(binary)}],
            "bufferViews": [{"buffer": 0, "byteOffset": 0, "byteLength": 12},
                            {"buffer": 0, "byteOffset": 12, "byteLength": 4},
                            {"buffer": 0, "byteOffset": 16, "byteLength": 12}],
            "accessors": [{"componentType": 5126, "count": count, "type": "VEC3", "min": [0, 0, 0], "max": [1, 1, 1],
                           "sparse": {"count": 1, "indices": {"bufferView": 1, "componentType": 5125},
                                      "values": {"bufferView": 2}}},
                          {"bufferView": 0, "componentType": 5125, "count": 3, "type": "SCALAR"}]}
    text = json.dumps(gltf).encode()
    text += b" " * (-len(text) % 4)
    body = struct.pack("<I4s", len(text), b"JSON") + text + struct.pack("<I4s", len(binary), b"BIN\0") + binary
    return struct.pack("<4sII", b"glTF", 2, 12 + len(body)) + body


def test_glb_declaring_a_billion_vertices_fails_typed(tmp_path: Path) -> None:
    import trimesh

    from archive import Archive
    from archive.errors import ArchiveError
    from archive.publish import export_item

    from .test_publish_support import add

    src = tmp_path / "src"
    src.mkdir()
    trimesh.creation.box().export(src / "box.glb")
    with Archive.create(tmp_path / "archive") as archive:
        item = add(archive, src / "box.glb", "relic", accession="SPARSE-1")
        _replace_stored(archive, item, "box.glb", _sparse_glb())
        start = time.monotonic()
        with pytest.raises(ArchiveError, match="box.glb"):
            export_item(archive, item, tmp_path / "out", "glb")
        assert time.monotonic() - start < 60
    assert not list((tmp_path / "out").iterdir())
