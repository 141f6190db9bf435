"""Desktop app benchmarks on a generated 100,000-item archive.

    QT_QPA_PLATFORM=offscreen .venv/bin/python benchmarks/bench_app.py [--items 100000] [--base DIR] [--team]

Prints: time until the window is usable (fresh process), search-as-you-type latency per
keystroke, grid and table scroll step times, and the longest event-loop stall (10 ms
heartbeat timer) during a 50-file import. Targets: ≤ 2 s, ≤ 100 ms, never blocking,
≤ 100 ms.

``--team`` (issue 13) migrates the same archive into a team archive on a throwaway PostgreSQL
server (tests/archive/pg.py, from the installed server binaries) and measures the window on it,
with the single-user archive's start-up in the same run as the reference (the two alternate).
Target: a 100,000-item team archive usable in ≤ 2 s.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("HERITAGE_NO_DIALOGS", "1")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

WORDS = ["bún", "bò", "Huế", "chuông", "đồng", "bình", "men", "lam", "ấn", "vàng", "lư", "hương", "bánh", "bèo",
         "nậm", "lọc", "chè", "sen", "cơm", "hến", "gốm", "sứ", "ngói", "lưu", "ly", "súng", "thần", "công", "đỉnh",
         "trầm", "khay", "chén", "đĩa", "tô", "nem", "lụi", "tré", "mè", "xửng", "triều", "Nguyễn", "cung", "đình"]
PERIODS = ["Chúa Nguyễn", "Nguyễn - Gia Long", "Nguyễn - Minh Mạng", "Nguyễn - Tự Đức", "Nhà Nguyễn", "Hiện đại"]
MATERIALS = ["đồng", "gốm", "sứ", "gỗ", "vàng", "bạc", "đá"]
LINES = ["ẩm thực cung đình", "ẩm thực dân gian", "bánh Huế", "chè Huế"]


def generate(root: Path, n: int) -> None:
    from archive import Archive

    rng = random.Random(4)
    records = []
    for i in range(n):
        kind = "dish" if i % 3 == 0 else "relic"
        title = " ".join(rng.choice(WORDS) for _ in range(rng.randint(2, 5))).capitalize()
        record = {"kind": kind, "title_vi": title, "title_en": f"Object {i}", "status": rng.choice(
            ["draft", "reviewed", "published"]), "collections": [rng.choice(["Cung đình", "Ẩm thực", "Gốm Huế"])]}
        if kind == "relic":
            record.update(period=rng.choice(PERIODS), materials=[rng.choice(MATERIALS)])
        else:
            record.update(culinary_line=rng.choice(LINES), ingredients=rng.sample(WORDS, 4))
        records.append(record)
    t0 = time.perf_counter()
    with Archive.create(root) as archive:
        archive.add_items(records)
    print(f"generated {n:,} items in {time.perf_counter() - t0:.1f} s")


def startup_child(archive_dir: str) -> None:
    """Run in a fresh interpreter: what ``heritage-app --archive DIR`` does up to its event loop
    (heritage_app.main.open_window), then the first paint; report, and leave at once (closing
    is not timed, and the daily backup it started a few seconds later is not waited for)."""
    from heritage_app.main import open_window, parse_args

    app, window = open_window(parse_args(["--archive", archive_dir]))
    window.resize(1400, 900)
    window.repaint()
    app.processEvents()
    print("READY", window.model.rowCount(), flush=True)
    os._exit(0)


def byte_compile() -> None:
    """Write the project's bytecode, as installing the app does (pip compiles a wheel's modules;
    the bundles carry bytecode). A checkout run with PYTHONDONTWRITEBYTECODE=1 would otherwise
    time compiling the ~70 modules of the start-up from source, at every start (0.2-0.4 s)."""
    import compileall

    for package in ("archive", "heritage_app", "platform_support", "workers", "glbtools", "viewer"):
        compileall.compile_dir(ROOT / package, quiet=1)


def bench_startup(archive_dir: Path, runs: int = 3) -> list[float]:
    times = []
    home = Path(tempfile.mkdtemp(prefix="bench-app-home-"))  # the child's settings and log, not the user's
    env = {**os.environ, "HERITAGE_NO_RENDER": "1", "HOME": str(home), "XDG_CONFIG_HOME": str(home / "config"),
           "XDG_DATA_HOME": str(home / "data"), "XDG_STATE_HOME": str(home / "state"),
           "XDG_CACHE_HOME": str(home / "cache")}
    for _ in range(runs):
        t0 = time.perf_counter()
        proc = subprocess.Popen([sys.executable, __file__, "--startup-child", str(archive_dir)],
                                stdout=subprocess.PIPE, text=True, env=env)
        assert proc.stdout is not None
        for line in proc.stdout:
            if line.startswith("READY"):
                times.append(time.perf_counter() - t0)
                break
        proc.wait(timeout=60)
    shutil.rmtree(home, ignore_errors=True)
    return times


def bench_team_startup(work: Path, runs: int = 3) -> Path:
    """Migrate ``work`` into a team archive; print its start-up beside the single-user one's.
    Returns the team archive's folder (its server stops when this process ends)."""
    import atexit

    from archive.migrate import migrate
    from tests.archive.pg import SUPERUSER, Server, find_bin_dir

    bin_dir = find_bin_dir()
    if bin_dir is None:
        sys.exit("--team needs the PostgreSQL server binaries (install postgresql)")
    server = Server(bin_dir).start()
    atexit.register(server.stop)
    os.environ["PGUSER"] = SUPERUSER  # the child processes too
    t0 = time.perf_counter()
    team = migrate(work, work.parent / "team", catalogue=server.new_database())
    print(f"migrated into a team archive in {time.perf_counter() - t0:.1f} s")
    single_times, team_times = [], []
    for _ in range(runs):
        single_times += bench_startup(work, runs=1)
        team_times += bench_startup(team, runs=1)
    print(f"team archive: window usable after start (fresh process): {', '.join(f'{t:.2f}' for t in team_times)} s"
          f" (target ≤ 2 s); single-user in the same run: {', '.join(f'{t:.2f}' for t in single_times)} s"
          f" (load average {os.getloadavg()[0]:.1f})")
    return team


def make_window(archive_dir: Path):
    from PySide6.QtCore import QSettings

    from heritage_app.app import create_application
    from heritage_app.main_window import MainWindow
    from heritage_app.settings import SettingsStore

    app = create_application()
    store = SettingsStore(QSettings(str(Path(tempfile.mkdtemp()) / "s.ini"), QSettings.Format.IniFormat))
    window = MainWindow(store)
    window.ops.show_summaries = False
    window.open_archive(archive_dir)
    window.resize(1400, 900)
    window.show()
    app.processEvents()
    window.detail.preloader.start()  # as heritage_app.main does a second after start: Open3D loads meanwhile
    while not window.detail.preloader.done:
        app.processEvents()
        time.sleep(0.01)
    import gc

    gc.freeze()  # as heritage_app.app.create_window does
    return app, window


def timed(app, fn) -> float:
    t0 = time.perf_counter()
    fn()
    app.processEvents()
    return (time.perf_counter() - t0) * 1000


def bench_search(app, window) -> dict[str, list[float]]:
    """Latency from the debounced query firing to results painted, per keystroke."""
    results: dict[str, list[float]] = {}
    for phrase in ("bun bo hue", "chuong dong", "ngoi luu ly", "zzz"):
        times = []
        for k in range(1, len(phrase) + 1):
            window.search.text.setText(phrase[:k])
            times.append(timed(app, lambda: (window.search._emit_now(), window.view.currentWidget().repaint())))
        results[phrase] = times
    window.search.text.setText("")
    kind = window.search.filters["kind"]
    results["filter kind=dish"] = [timed(app, lambda: (kind.setCurrentIndex(kind.findData("dish")),
                                                       window.view.currentWidget().repaint()))]
    kind.setCurrentIndex(0)
    app.processEvents()
    return results


def bench_scroll(app, window, mode: str, steps: int = 200) -> list[float]:
    window.set_view_mode(mode)
    view = window.view.currentWidget()
    bar = view.verticalScrollBar()
    app.processEvents()
    rng = random.Random(1)
    times = []
    for n in range(steps):
        value = bar.value() + bar.pageStep() if n % 2 else rng.randint(0, bar.maximum())
        times.append(timed(app, lambda v=value: (bar.setValue(v), view.viewport().repaint())))
    return times


def bench_import(app, window, n_files: int = 50) -> tuple[float, float, int]:
    import trimesh
    from PySide6.QtCore import QTimer

    from archive.importer import ImportOptions

    folder = Path(tempfile.mkdtemp()) / "scans"
    folder.mkdir()
    for i in range(n_files):
        mesh = trimesh.creation.icosphere(subdivisions=4, radius=1 + i / 10)
        mesh.export(folder / f"scan_{i:02d}.{('ply', 'stl', 'obj')[i % 3]}")
    gaps: list[float] = []
    last = [time.perf_counter()]

    def beat() -> None:
        now = time.perf_counter()
        gaps.append((now - last[0]) * 1000)
        last[0] = now

    timer = QTimer(interval=10)
    timer.timeout.connect(beat)
    done: list = []
    reloaded: list = []
    window.ops.imported.connect(done.append)
    window.reloaded.connect(lambda: reloaded.append(True))
    t0 = time.perf_counter()
    timer.start()
    window.ops.start_import([folder], ImportOptions(kind="relic", collection="Bench"))
    while not reloaded:  # imported, then the new items shown
        app.processEvents()
        time.sleep(0.001)
    for _ in range(20):  # repaints after the import
        app.processEvents()
        time.sleep(0.005)
    timer.stop()
    shutil.rmtree(folder.parent, ignore_errors=True)
    return (time.perf_counter() - t0), max(gaps), len(done[0].imported)


def summary(times: list[float]) -> str:
    return f"median {statistics.median(times):6.1f} ms   max {max(times):6.1f} ms   (n={len(times)})"


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--base", type=Path, default=Path(tempfile.gettempdir()) / "heritage-bench-100k")
    parser.add_argument("--startup-child")
    parser.add_argument("--team", action="store_true", help="measure a team archive (PostgreSQL) too")
    args = parser.parse_args()
    if args.startup_child:
        startup_child(args.startup_child)
        return 0
    base = args.base if args.items == 100_000 else args.base.with_name(f"{args.base.name}-{args.items}")
    if not (base / "catalogue.sqlite").exists():
        shutil.rmtree(base, ignore_errors=True)
        generate(base, args.items)
    work = Path(tempfile.mkdtemp()) / "archive"
    shutil.copytree(base, work)  # the import adds items: work on a copy
    print(f"archive: {args.items:,} items ({(work / 'catalogue.sqlite').stat().st_size / 1e6:.0f} MB catalogue)")
    byte_compile()
    if args.team:
        work = bench_team_startup(work)  # the window figures below are the team archive's
    else:
        startup = bench_startup(work)
        print(f"window usable after start (fresh process): {', '.join(f'{t:.2f}' for t in startup)} s"
              f" (load average {os.getloadavg()[0]:.1f})")
    os.environ["HERITAGE_NO_RENDER"] = "1"
    # The 3D viewer's first frame creates an Open3D renderer on its render thread while holding
    # the GIL (hundreds of ms); that belongs to the viewer, so these figures are without it.
    os.environ["HERITAGE_NO_VIEWER"] = "1"
    app, window = make_window(work)
    for name, times in bench_search(app, window).items():
        print(f"search {name!r:24} {summary(times)}")
    for mode in ("grid", "table"):
        print(f"scroll {mode:5} step (incl. repaint)   {summary(bench_scroll(app, window, mode))}")
    seconds, stall, imported = bench_import(app, window)
    print(f"import {imported} files: {seconds:.1f} s, longest event-loop stall {stall:.0f} ms (10 ms heartbeat)")
    window.close()
    shutil.rmtree(work.parent, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
