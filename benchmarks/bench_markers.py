"""Markers and labels over a 1280×800 frame: 200 records (issue 15 target: ≤ 2 ms a frame).

Reference in the same run: the same 200 labels drawn the plain way (Pillow's ImageDraw.text
and a rectangle per label, every frame). Times are CPU time of this thread (the machine may
be shared), best of 30 frames.

Run: .venv/bin/python benchmarks/bench_markers.py
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from viewer.camera import Camera  # noqa: E402
from viewer.markers import MarkerRecord, draw_overlay, layout, prepare  # noqa: E402

W, H, N, FRAMES = 1280, 800, 200, 30


def best_ms(frame) -> float:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(FRAMES):
        t0 = time.thread_time()
        frame()
        times.append(time.thread_time() - t0)
    return min(times) * 1000


def main() -> None:
    rng = np.random.default_rng(0)
    records = [MarkerRecord("measurement" if i % 4 == 0 else "landmark", f"L{i} {rng.random() * 100:.1f} mm",
                            rng.uniform(-1, 1, (2 if i % 4 == 0 else 1, 3))) for i in range(N)]
    cam = Camera()
    cam.frame(np.array([-1.0, -1, -1]), np.array([1.0, 1, 1]))
    img = Image.new("RGB", (W, H), (128, 128, 128))
    prepared = prepare(records)  # once, when the records change
    draw_overlay(img, layout(prepared, cam, W, H))  # plates are rendered once, then pasted
    ours = best_ms(lambda: draw_overlay(img, layout(prepared, cam, W, H)))
    overlay = layout(prepared, cam, W, H)

    def plain() -> None:
        draw = ImageDraw.Draw(img)
        for (x, y), text, _colour in overlay.labels:
            draw.rectangle((x, y, x + 8 * len(text), y + 14), fill=(20, 20, 20))
            draw.text((x + 2, y + 1), text, fill=(255, 255, 255))

    reference = best_ms(plain)
    print(f"{N} markers and labels on {W}x{H}: {ours:.2f} ms CPU a frame (target ≤ 2 ms); "
          f"plain Pillow drawing of the same labels {reference:.2f} ms -> {ours / reference:.2f}×")


if __name__ == "__main__":
    main()
