"""What every format reader returns, and the limits every reader obeys."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Limits:
    """Bounds checked *before* allocating. Declared sizes beyond these are refused."""

    max_file_bytes: int = 8 * 1024**3
    max_vertices: int = 200_000_000
    max_faces: int = 400_000_000
    max_json_bytes: int = 64 * 1024**2  # glTF JSON chunk / .gltf file
    max_data_uri_bytes: int = 256 * 1024**2


DEFAULT_LIMITS = Limits()


@dataclass
class ScanInfo:
    """Technical metadata of one scan and the files that make it up.

    Paths in ``files``/``textures`` are POSIX paths relative to the import root that was
    passed to ``inspect_scan``; ``files[0]`` is the main file.
    """

    format: str  # ply, obj, stl, off, gltf, glb, pcd, xyz, pts, e57, las, laz
    geometry: str  # "mesh" or "points"
    files: list[str]
    vertices: int = 0
    faces: int = 0  # triangles after triangulation
    points: int = 0  # for point clouds; 0 for meshes
    bbox_min: tuple[float, float, float] | None = None
    bbox_max: tuple[float, float, float] | None = None
    textured: bool = False
    textures: list[str] = field(default_factory=list)
    vertex_colors: bool = False
    units: str | None = None  # only when the file itself declares them (glTF: "m"); see formats.units
    units_declared: bool = False  # the file says its unit (even one ``units`` cannot hold, such as feet)
    units_source: str | None = None  # where it says so, for messages ("glTF 2.0 specification")
    warnings: list[str] = field(default_factory=list)
    details: dict[str, object] = field(default_factory=dict)  # encoding, generator, extensions…

    @property
    def dimensions(self) -> tuple[float, float, float] | None:
        if self.bbox_min is None or self.bbox_max is None:
            return None
        return tuple(b - a for a, b in zip(self.bbox_min, self.bbox_max, strict=True))  # type: ignore[return-value]
