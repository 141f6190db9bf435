"""Turn user input (strings from the CLI or CSV, values from the app) into clean field
values, rejecting bad ones with a message that names the field.

Every problem of an item is reported at once (``ValidationErrors``, in the form's field order),
each with a stable ``code`` and ``params`` so the app can say it in the user's language."""

from __future__ import annotations

import json
import math
import re
import unicodedata
from collections.abc import Callable, Mapping
from typing import Any

from .errors import ValidationError, ValidationErrors
from .fields import ASSET_FIELD, ITEM_FIELD, ITEM_FIELDS, Field

_DATE = re.compile(r"^\d{4}(-(0[1-9]|1[0-2])(-(0[1-9]|[12]\d|3[01]))?)?$")
_TRUE = {"1", "true", "yes", "y", "có", "co", "x"}
_FALSE = {"0", "false", "no", "n", "không", "khong", ""}
MAX_TEXT = 100_000

VocabLookup = Callable[[str, str], str | None]
"""(vocabulary, value) -> canonical value, or None when the value is not in it."""


def clean_value(field: Field, raw: Any, vocab: VocabLookup | None = None) -> Any:
    """One field's value, normalised; None means "empty"."""
    if raw is None or (isinstance(raw, str) and raw.strip() == "" and field.type != "bool"):
        return [] if field.type == "list" else None
    cleaner = _CLEANERS[field.type]
    value = cleaner(field, raw)
    if field.vocabulary and vocab is not None and value not in (None, []):
        value = _in_vocabulary(field, value, vocab)
    return value


def _text(field: Field, raw: Any) -> str:
    return _checked_text(field.name, str(raw).strip() if field.type == "text" else str(raw).strip("\n"))


def nfc(value: str) -> str:
    """``value`` in Unicode NFC: macOS tools and some keyboards write "ế" as "e" plus two
    combining marks (NFD); both look the same, so every text is stored one way and compares
    equal, and an NFD copy of unchanged data changes nothing."""
    return value if value.isascii() else unicodedata.normalize("NFC", value)


def _checked_text(name: str, value: str) -> str:
    value = nfc(value)
    if len(value) > MAX_TEXT:
        raise ValidationError(name, f"is longer than {MAX_TEXT} characters", "too_long", {"maximum": MAX_TEXT})
    if "\x00" in value:
        raise ValidationError(name, "contains a NUL character", "nul_character")
    return value


def _number(field: Field, raw: Any) -> float | int:
    try:
        if field.type == "int":
            if isinstance(raw, float) and not raw.is_integer():
                raise ValueError
            value: float | int = int(str(raw).strip()) if not isinstance(raw, (int, float)) else int(raw)
        else:
            value = float(str(raw).strip().replace(",", ".")) if isinstance(raw, str) else float(raw)
    except (TypeError, ValueError):
        whole = field.type == "int"
        raise ValidationError(field.name, f"must be {'a whole number' if whole else 'a number'}, not {str(raw)[:40]!r}",
                              "not_number", {"value": str(raw)[:40], "whole": whole}) from None
    if isinstance(value, float) and not math.isfinite(value):
        raise ValidationError(field.name, "must be a finite number", "not_finite")
    in_range = {"value": value, "minimum": field.minimum, "maximum": field.maximum}
    if field.minimum is not None and value < field.minimum:
        what = "must not be negative" if field.minimum == 0 else f"must be at least {field.minimum:g}"
        raise ValidationError(field.name, what, "range", in_range)
    if field.maximum is not None and value > field.maximum:
        raise ValidationError(field.name, f"must be at most {field.maximum:g}", "range", in_range)
    return value


def _bool(field: Field, raw: Any) -> bool:
    if isinstance(raw, bool):
        return raw
    text = str(raw).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValidationError(field.name, f"must be yes or no, not {str(raw)[:40]!r}", "not_yes_no",
                          {"value": str(raw)[:40]})


def _list(field: Field, raw: Any) -> list[str]:
    if isinstance(raw, str):
        text = raw.strip()
        if text.startswith("["):
            try:
                raw = json.loads(text)
            except json.JSONDecodeError:
                raise ValidationError(field.name, "is not a valid list", "not_list") from None
        else:
            # Steps are long sentences that may hold ';' themselves, so they split on lines.
            sep = "\n" if field.name == "steps" or "\n" in text else ";"
            raw = text.split(sep)
    if not isinstance(raw, (list, tuple)):
        raise ValidationError(field.name, "must be a list", "not_list")
    out = []
    for v in raw:
        text = (v if v.__class__ is str else str(v)).strip()
        if text:
            out.append(_checked_text(field.name, text))
    return out


def _choice(field: Field, raw: Any) -> str:
    value = nfc(str(raw)).strip().lower()
    if value not in field.choices:
        raise ValidationError(field.name, f"must be one of {', '.join(field.choices)}, not {str(raw)[:40]!r}",
                              "not_a_choice", {"choices": list(field.choices), "value": str(raw)[:40]})
    return value


def _link(field: Field, raw: Any) -> int:
    try:
        return int(str(raw).strip())
    except ValueError:
        raise ValidationError(field.name, f"must be an item id, not {str(raw)[:40]!r}", "not_item_id",
                              {"value": str(raw)[:40]}) from None


def _date(field: Field, raw: Any) -> str:
    value = str(raw).strip()
    if not _DATE.match(value):
        raise ValidationError(field.name, f"must be a date like 2024-05-17 (or 2024-05, 2024), not {value[:40]!r}",
                              "not_date", {"value": value[:40]})
    return value


_CLEANERS: dict[str, Callable[[Field, Any], Any]] = {
    "text": _text,
    "longtext": _text,
    "int": _number,
    "float": _number,
    "bool": _bool,
    "list": _list,
    "choice": _choice,
    "link": _link,
    "date": _date,
}


def _in_vocabulary(field: Field, value: Any, vocab: VocabLookup) -> Any:
    assert field.vocabulary is not None
    values = value if isinstance(value, list) else [value]
    canonical = []
    for v in values:
        found = vocab(field.vocabulary, v)
        if found is None:
            raise ValidationError(
                field.name,
                f"{v!r} is not in the vocabulary '{field.vocabulary}'; "
                f"add it first (heritage vocab {field.vocabulary} \"{v}\" --label \"English label\")",
                "unknown_term", {"vocabulary": field.vocabulary, "value": v},
            )
        canonical.append(nfc(found))
    return canonical if isinstance(value, list) else canonical[0]


def clean_item_changes(changes: Mapping[str, Any], kind: str, vocab: VocabLookup | None) -> dict[str, Any]:
    """Clean a set of item field changes for an item of ``kind``; every bad value is reported
    at once in one ``ValidationErrors``."""
    cleaned, problems = _clean_collecting(changes, kind, vocab)
    _raise_all(problems)
    return cleaned


def checked_item(changes: Mapping[str, Any], kind: str, vocab: VocabLookup | None, base: Mapping[str, Any],
                 new: bool = False, memo: CleanMemo | None = None) -> tuple[dict[str, Any], dict[str, Any]]:
    """Clean ``changes`` and check the whole item they make with ``base``: (cleaned, merged).

    Bad values and broken rules across fields are reported together, in form order; a rule is
    skipped when one of its fields already has a bad value (so no problem is reported twice).
    ``new`` items may lack an accession number (one is assigned on save). ``memo``: a batch's
    ``CleanMemo``."""
    cleaned, problems = _clean_collecting(changes, kind, vocab, memo)
    merged = {**base, **cleaned}
    bad = {p.field for p in problems}
    problems += [p for p in item_problems(merged, new) if not bad & set(p.params.get("fields", [p.field]))]
    _raise_all(problems)
    return cleaned, merged


def _clean_collecting(changes: Mapping[str, Any], kind: str, vocab: VocabLookup | None,
                      memo: CleanMemo | None = None) -> tuple[dict[str, Any], list[ValidationError]]:
    cleaned: dict[str, Any] = {}
    problems: list[ValidationError] = []
    for name, raw in changes.items():
        field = ITEM_FIELD.get(name)
        if field is None:
            problems.append(ValidationError(name, "is not a field of the catalogue", "unknown_field"))
            continue
        try:
            value = clean_value(field, raw, vocab) if memo is None else memo.clean(field, raw, vocab)
        except ValidationError as exc:
            problems.append(exc)
            continue
        if kind not in field.kinds and value not in (None, []):
            problems.append(_not_for_kind(name, kind))
            continue
        cleaned[name] = value
    return cleaned, problems


_UNSEEN = object()


class CleanMemo:
    """The cleaned values of one batch of items (a CSV import, ``Archive.add_items``): a value
    that many items repeat (a kind, a status, a collection list, a vocabulary term) is cleaned,
    and its vocabulary asked, once per batch instead of once per item. Only values cleaned
    without a problem are kept, so every bad value is still reported for each item."""

    _KEPT = frozenset({"list", "choice", "bool"})  # repeated across items; free texts are not

    def __init__(self) -> None:
        self._values: dict[tuple[str, Any], Any] = {}

    def clean(self, field: Field, raw: Any, vocab: VocabLookup | None) -> Any:
        if field.type not in self._KEPT and field.vocabulary is None:
            return clean_value(field, raw, vocab)
        # only texts and lists of texts as keys: True == 1 == 1.0 would mix values cleaned apart
        if raw.__class__ is str:
            key: Any = raw
        elif raw.__class__ is list and all(v.__class__ is str for v in raw):
            key = tuple(raw)
        else:
            return clean_value(field, raw, vocab)
        value = self._values.get((field.name, key), _UNSEEN)
        if value is _UNSEEN:
            value = self._values[(field.name, key)] = clean_value(field, raw, vocab)
        return list(value) if value.__class__ is list else value


def _not_for_kind(name: str, kind: str) -> ValidationError:
    return ValidationError(name, f"does not apply to items of kind {kind}", "not_for_kind", {"kind": kind})


_FORM_ORDER = {f.name: i for i, f in enumerate(ITEM_FIELDS)}


def _raise_all(problems: list[ValidationError]) -> None:
    """Raise every problem at once, in the order of the form (unknown fields last)."""
    if problems:
        problems.sort(key=lambda p: _FORM_ORDER.get(p.field, len(_FORM_ORDER)))
        raise ValidationErrors(problems)


def clean_asset_changes(changes: Mapping[str, Any], vocab: VocabLookup | None) -> dict[str, Any]:
    cleaned: dict[str, Any] = {}
    for name, raw in changes.items():
        field = ASSET_FIELD.get(name)
        if field is None:
            raise ValidationError(name, "is not a field of an asset")
        cleaned[name] = clean_value(field, raw, vocab)
    return cleaned


def check_item(item: Mapping[str, Any], new: bool = False) -> None:
    """Rules that involve several fields of a whole item (after changes are applied); every
    broken rule is reported at once."""
    _raise_all(item_problems(item, new))


def item_problems(item: Mapping[str, Any], new: bool = False) -> list[ValidationError]:
    """The rules across fields an item breaks. A rule naming several fields lists them in
    ``params["fields"]``."""
    problems = []
    if not new and not (item.get("accession") or "").strip():
        problems.append(ValidationError("accession", "is required", "required"))
    if not (item.get("title_vi") or item.get("title_en")):
        problems.append(ValidationError("title_vi", "an item needs a title in Vietnamese or English",
                                        "title_required", {"fields": ["title_vi", "title_en"]}))
    y0, y1 = item.get("year_from"), item.get("year_to")
    if y0 is not None and y1 is not None and y0 > y1:
        problems.append(ValidationError("year_to", f"year range is reversed ({y0} > {y1})", "reversed_years",
                                        {"year_from": y0, "year_to": y1, "fields": ["year_from", "year_to"]}))
    if (item.get("place_lat") is None) != (item.get("place_lon") is None):
        problems.append(ValidationError("place_lat", "latitude and longitude must be given together",
                                        "coordinates_pair", {"fields": ["place_lat", "place_lon"]}))
    dims = ["height", "width", "depth", "dimension_unit"]
    if any(item.get(n) is not None for n in dims[:3]) and not item.get("dimension_unit"):
        problems.append(ValidationError("dimension_unit", "dimensions need a unit (mm, cm or m)", "unit_missing",
                                        {"fields": dims}))
    return problems
