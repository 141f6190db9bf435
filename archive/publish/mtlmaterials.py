"""An OBJ master's MTL material in glTF terms, as far as the MTL says it.

trimesh keeps the diffuse colour and ``map_Kd``; every other MTL statement stays in the
material's ``kwargs`` (keys lower-cased, values as tokens). Mapped here: ``map_Bump``/``bump``/
``norm`` → normal map (``-bm`` → scale), ``map_Ke`` → emissive map, ``Ke`` → emissive factor,
``d``/``Tr`` → base colour alpha (blend), ``map_d`` → the base colour image's alpha channel,
``Pm``/``Pr`` → metallic/roughness factors. Image files are read only from inside the OBJ's
folder. Anything named that cannot be found or read is a note, never a silent gap.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PIL import Image

from archive.errors import ArchiveError
from archive.safepaths import safe_target

from .materials import EMISSIVE, NORMAL, MaterialDetails, TextureMap, decoded

_NORMAL_KEYS = ("norm", "map_bump", "bump")


def mtl_details(kwargs: dict[str, Any], folder: Path, notes: list[str],
                base_color: tuple[float, float, float, float]) -> tuple[MaterialDetails | None, float]:
    """The details the MTL statements ``kwargs`` give, and the base colour's alpha."""
    details = MaterialDetails()
    alpha = base_color[3]
    if "d" in kwargs:
        alpha = _number(kwargs["d"], alpha)
    elif "tr" in kwargs:
        alpha = 1.0 - _number(kwargs["tr"], 1.0 - alpha)
    if "ke" in kwargs:
        ke = [_number([x], 0.0) for x in kwargs["ke"][:3]]
        if len(ke) == 3:
            details.emissive = (ke[0], ke[1], ke[2])
    if "pm" in kwargs:
        details.metallic = _number(kwargs["pm"], 0.0)
    if "pr" in kwargs:
        details.roughness = _number(kwargs["pr"], 1.0)
    key = next((k for k in _NORMAL_KEYS if k in kwargs), None)
    if key is not None:
        _add_map(details, NORMAL, kwargs[key], folder, notes, amount_option="-bm")
    if "map_ke" in kwargs:
        _add_map(details, EMISSIVE, kwargs["map_ke"], folder, notes)
        if details.emissive == (0.0, 0.0, 0.0):
            details.emissive = (1.0, 1.0, 1.0)  # glTF multiplies the map by the factor
    for other in ("map_ks", "map_ns", "map_pr", "map_pm", "disp", "refl"):
        if other in kwargs:
            notes.append(f"the MTL's {other} map has no place in a glTF material and is not carried")
    changed = (details.maps or details.emissive != (0.0, 0.0, 0.0) or details.metallic is not None
               or details.roughness is not None)
    return (details if changed else None), alpha


def alpha_from_map(tokens: list[str], image: Image.Image | None, folder: Path, notes: list[str]) -> Image.Image | None:
    """The base colour ``image`` with ``map_d``'s luminance as its alpha channel (resized to
    fit), or None when there is no base image or the map cannot be read (noted)."""
    loaded = _load(tokens, folder, notes, "map_d")
    if loaded is None:
        return None
    if image is None:
        notes.append("the MTL's map_d (transparency map) has no base colour image to join and is not carried")
        return None
    alpha = loaded[0].convert("L").resize(image.size, Image.Resampling.LANCZOS)
    out = image.convert("RGBA")
    out.putalpha(alpha)
    return out


def _add_map(details: MaterialDetails, slot: str, tokens: list[str], folder: Path, notes: list[str],
             amount_option: str | None = None) -> None:
    loaded = _load(tokens, folder, notes, slot)
    if loaded is not None:
        image, data, options = loaded
        amount = _number([options[amount_option]], 1.0) if amount_option in options else None
        details.maps[slot] = TextureMap(image, encoded=data, amount=amount)


def _load(tokens: list[str], folder: Path, notes: list[str], what: str) -> tuple[Image.Image, bytes,
                                                                                   dict[str, str]] | None:
    """(image, its bytes, options) of an MTL map statement; options like ``-bm 0.5`` come first."""
    options: dict[str, str] = {}
    rest = list(tokens)
    while len(rest) > 1 and rest[0].startswith("-"):
        options[rest[0]] = rest[1]
        rest = rest[2:]
    name = " ".join(rest)
    try:
        path = safe_target(folder, name.replace("\\", "/"), "the MTL")
        data = path.read_bytes()
        return decoded(data, name), data, options
    except (ArchiveError, OSError) as exc:
        notes.append(f"the MTL names {name!r} for its {what}, which cannot be read; it is not carried ({exc})")
        return None


def _number(tokens: list[str], default: float) -> float:
    try:
        return float(tokens[0])
    except (ValueError, IndexError, TypeError):
        return default
