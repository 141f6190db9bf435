"""Which level of detail of a big scan to show, to keep and to load next: the rules only
(no threads, no clocks, no Qt), so they can be tested without timing.

A big scan has a short chain of kept levels (``archive.levels``: e.g. 1M/250k/60k triangles
or 4M/1M/250k points). The coarsest opens first (the first picture, in well under a second)
and stays loaded: it is what is drawn while the camera moves. When the camera has been still
a moment, the finest level whose memory fits the user's budget (together with the coarsest)
is loaded and swapped in; moving again cancels a load still on its way. Only the coarsest and
the shown level are kept, so memory is at most the budget.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from .model import Model

#: Memory one shown triangle or point costs, all told: Open3D's float64 geometry and the GL
#: buffers (Mesa keeps them in main memory), measured after the first frames of a 1.3M-triangle
#: and a 4M-point level (~290 and ~210 bytes); benchmarks/bench_viewer.py prints it again.
BYTES_PER_TRIANGLE = 300
BYTES_PER_POINT = 220
#: A textured level's extra: Open3D's per-corner texture coordinates (3 x 2 float64) and
#: material ids (int32) per triangle; per texel its RGB image and the GL texture (RGBA, in
#: main memory with Mesa). Measured in Open3D on a 1M-triangle level with a 4096 px texture:
#: +106 MB (52 MB of coordinates, 48 MB of image); the GL texture's 4 bytes are not measured.
BYTES_PER_TEXTURED_TRIANGLE = 52
BYTES_PER_TEXEL = 3 + 4
DEFAULT_BUDGET = 1536 * 1024**2
MIN_BUDGET = 128 * 1024**2


def level_bytes(kind: str, primitives: int, texture_pixels: int = 0) -> int:
    """Memory a level of ``primitives`` triangles (``kind`` "mesh") or points costs on screen;
    ``texture_pixels``: the pixels of a textured level's texture (0 for none), whose image and
    per-corner texture coordinates come on top."""
    if kind != "mesh":
        return primitives * BYTES_PER_POINT
    textured = primitives * BYTES_PER_TEXTURED_TRIANGLE + texture_pixels * BYTES_PER_TEXEL if texture_pixels else 0
    return primitives * BYTES_PER_TRIANGLE + textured


def texture_pixels(path: Path) -> int:
    """Pixels of the texture the level file ``path`` names, read from the image's header; 0
    when it names none, or the viewer would show it without (missing, unreadable, too big)."""
    from PIL import Image, UnidentifiedImageError

    from glbtools.levelfile import LevelFileError, read_level_arrays

    from .level_files import MAX_TEXTURE_PIXELS

    try:
        name = read_level_arrays(path).texture
        if name is None:
            return 0
        with Image.open(path.parent / name) as img:
            pixels = img.width * img.height
    except (OSError, LevelFileError, UnidentifiedImageError, Image.DecompressionBombError):
        return 0
    return pixels if pixels <= MAX_TEXTURE_PIXELS else 0


@dataclass(frozen=True)
class LevelFile:
    """One kept level: its number (1 = finest), file and size."""

    number: int
    path: Path
    primitives: int
    kind: str  # "mesh" or "points"

    @cached_property
    def cost(self) -> int:
        """Memory on screen, its texture included (the file's header read once)."""
        pixels = texture_pixels(self.path) if self.kind == "mesh" else 0
        return level_bytes(self.kind, self.primitives, pixels)


@dataclass(frozen=True)
class LevelSet:
    """Everything the viewer needs to show a big master from its kept levels.

    ``files`` are the levels (any order), ``master_primitives`` what the master holds,
    ``index`` the manifest of its pick index (``viewer.pickindex``; None until it is built)
    and ``master`` the master file (named in messages; never loaded). No files: the levels
    of a big master are still being made (``master_kind`` says what it holds)."""

    files: tuple[LevelFile, ...]
    master_primitives: int
    index: Path | None = None
    master: Path | None = None
    master_kind: str = "mesh"

    @property
    def kind(self) -> str:
        return self.files[0].kind if self.files else self.master_kind


@dataclass
class LevelStream:
    """The state of one scan's levels on screen.

    Call :meth:`begin` once (load the returned level), :meth:`moved` on every camera move,
    :meth:`settled` when the camera has been still (load what it returns), :meth:`arrived`
    or :meth:`failed` when a load ends. :meth:`rest` and :meth:`moving` say what to draw.
    """

    files: list[LevelFile]
    budget: int = DEFAULT_BUDGET
    loaded: dict[int, Model] = field(default_factory=dict)
    pending: int | None = None
    still: bool = True
    broken: set[int] = field(default_factory=set)

    def __post_init__(self) -> None:
        if not self.files:
            raise ValueError("a level stream needs at least one level")
        self.files = sorted(self.files, key=lambda f: f.number)

    @property
    def coarsest(self) -> LevelFile:
        return self.files[-1]

    def begin(self) -> LevelFile:
        """The first level to load (the coarsest: the first picture)."""
        self.pending = self.coarsest.number
        return self.coarsest

    def target(self) -> LevelFile:
        """The finest level that fits the budget alongside the coarsest (kept for moving)."""
        base = self.coarsest.cost
        for f in self.files:
            if f.number in self.broken:
                continue
            if f is self.coarsest or f.cost + base <= self.budget:
                return f
        return self.coarsest

    def moved(self) -> int | None:
        """The camera moved: a pending finer load is dropped; returns its number (to cancel)."""
        self.still = False
        if self.pending is None or self.pending == self.coarsest.number:
            return None  # the first picture is never given up
        dropped, self.pending = self.pending, None
        return dropped

    def settled(self) -> LevelFile | None:
        """The camera is still: the level to load now, or None (shown already, or loading)."""
        self.still = True
        if self.pending is not None:
            return None
        wanted = self.target()
        if wanted.number in self.loaded:
            return None
        self.pending = wanted.number
        return wanted

    def arrived(self, number: int, model: Model) -> bool:
        """A load finished; False (and nothing kept) when it was no longer wanted."""
        if number != self.pending:
            return False
        self.pending = None
        self.loaded[number] = model
        self._evict()
        return True

    def failed(self, number: int) -> None:
        """A load failed: that level is not tried again for this scan."""
        if number == self.pending:
            self.pending = None
        self.broken.add(number)

    def set_budget(self, budget: int) -> bool:
        """A new memory budget; True when what is shown at rest changed (a level was dropped)."""
        before = self.rest()
        self.budget = max(int(budget), MIN_BUDGET)
        if self.pending is not None and self.pending != self.target().number and self.pending != self.coarsest.number:
            self.pending = None
        self._evict()
        return self.rest() is not before

    def rest(self) -> Model | None:
        """What to draw when the camera is still: the finest level loaded."""
        return self.loaded[min(self.loaded)] if self.loaded else None

    def moving(self) -> list[Model]:
        """Levels coarser than :meth:`rest`, finest first (what to draw while moving)."""
        numbers = sorted(self.loaded)
        return [self.loaded[n] for n in numbers[1:]]

    def used(self) -> int:
        """Memory the loaded levels cost (bytes, estimated as :func:`level_bytes`)."""
        return sum(f.cost for f in self.files if f.number in self.loaded)

    def _evict(self) -> None:
        """Keep the coarsest and the finest loaded level that fits; drop the rest."""
        keep = {self.coarsest.number}
        for f in self.files:
            if f.number in self.loaded and f.number not in keep and f.cost + self.coarsest.cost <= self.budget:
                keep.add(f.number)
                break
        for number in list(self.loaded):
            if number not in keep:
                del self.loaded[number]
