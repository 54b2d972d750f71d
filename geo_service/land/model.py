"""What the readers produce: parcels as given, with where each came from and what is wrong."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field

import numpy as np
import pyproj

from geo_service.errors import InputError
from geo_service.messages import Msg, localise, record, text_of

MAX_REPORTED_PROBLEMS = 50
#: Bounds on what travels with each parcel from its file (fields per parcel, characters each).
MAX_ATTRIBUTES = 100
MAX_ATTRIBUTE_CHARS = 1000


@dataclass
class Problem:
    """One thing wrong with the input: where (line or feature), what, and what to do.

    ``where`` is a Msg (``at_line(12)``, ``at_feature(3)``, ``IN_FILE``) or a name taken from the
    file (a layer or member name); ``message`` and ``hint`` are Msgs from the catalogue.
    """

    where: Msg | str
    message: Msg
    hint: Msg | None = None
    severity: str = "error"  # "error" stops the check; "warning" is kept with the result

    def whole(self) -> Msg:
        """Where, what and what to do, as one sentence (a whole-file problem names no place:
        the message already follows the file's name)."""
        if self.where == IN_FILE:
            key = "problem.file_with_hint" if self.hint else "problem.file_plain"
        else:
            key = "problem.with_hint" if self.hint else "problem.plain"
        return Msg(
            key,
            where=self.where,
            message=self.message,
            hint=self.hint or "",
        )

    def text(self, lang: str = "zh") -> str:
        return self.whole().text(lang)

    def to_dict(self) -> dict:
        return {
            **record(where=self.where, message=self.message, hint=self.hint or ""),
            "code": self.message.key,
            "severity": self.severity,
        }


IN_FILE = Msg("where.file")
CRS_MEMBER = Msg("where.crs_member")
FEATURES_MEMBER = Msg("where.features_member")


def at_line(number: int) -> Msg:
    return Msg("where.line", line=number)


def at_feature(number: int) -> Msg:
    return Msg("where.feature", feature=number)


def at_parameter(name: str) -> Msg:
    """A problem with a form parameter (``layer``, ``zones_id_field``)."""
    return Msg("where.parameter", name=name)


def note(msg: Msg, code: str | None = None) -> dict:
    """A warning or note kept with a check result: its Chinese text, the ``i18n`` to show it
    in English, and a stable ``code`` (the message's key unless given)."""
    return {**record(message=msg), "code": code or msg.key}


def note_text(item, lang: str = "zh") -> str:
    """The text of a note as a person reads it: a :func:`note` record (re-rendered for
    ``lang``), a Msg, or a plain string (checks stored before notes were records)."""
    if isinstance(item, dict):
        return text_of(localise(item, lang).get("message"))
    return text_of(item, lang)


def notes_text(items, lang: str = "zh", separator: str = "；") -> str:
    """Several notes joined into one cell (CSV, XLSX, GIS attribute tables)."""
    return separator.join(note_text(item, lang) for item in items or ())


@dataclass
class RawParcel:
    """A parcel as read, before validation.

    Either ``rings`` (coordinate arrays of shape (n, 2), x = easting or longitude, as given:
    closure not yet checked) with optional ``parts`` grouping them into polygons
    ([exterior, hole, ...] index lists; None = group by containment), or ``geometry``
    (a shapely geometry from a GDAL-read format).
    """

    parcel_id: str
    where: Msg | str
    rings: list[np.ndarray] | None = None
    parts: list[list[int]] | None = None
    geometry: object | None = None
    declared_area_ha: float | None = None
    attributes: dict = field(default_factory=dict)


@dataclass
class ParcelTable:
    """Parcels read in bulk (the GDAL formats): parallel arrays, geometries as shapely objects."""

    parcel_id: np.ndarray
    where: np.ndarray
    declared_area_ha: np.ndarray
    name: np.ndarray
    geometry: np.ndarray
    attributes: np.ndarray | None = None  # one dict per parcel: the file's fields as read
    #: None: ``attributes`` not bounded yet; else bounded already, and whether anything was cut
    attributes_cut: bool | None = None


@dataclass
class RawFile:
    """A parsed parcel file: its parcels, its CRS (None when the file does not say), notes."""

    filename: str
    format: str
    parcels: list[RawParcel]
    crs: pyproj.CRS | None = None
    crs_note: Msg | str = ""
    notes: list[Msg] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    table: ParcelTable | None = None  # instead of ``parcels`` for formats read in bulk
    header: dict = field(default_factory=dict)  # a 界址点 file's [属性描述], as read


def attribute_value(value):
    """One attribute as JSON can hold it: text or a number (NaN and missing -> None)."""
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict | list | tuple):
        return json.dumps(value, ensure_ascii=False, default=str)
    try:
        if value != value:  # NaT, pd.NA
            return None
    except (TypeError, ValueError):
        return None
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.hex()
    return str(value)


def bounded_attributes(values: dict) -> tuple[dict, bool]:
    """The file's fields of one parcel, JSON-safe, at most MAX_ATTRIBUTES fields of
    MAX_ATTRIBUTE_CHARS characters each; and whether anything was cut."""
    cut = len(values) > MAX_ATTRIBUTES
    result = {}
    for key, value in list(values.items())[:MAX_ATTRIBUTES]:
        key, value = str(key)[:200], attribute_value(value)
        if isinstance(value, str) and len(value) > MAX_ATTRIBUTE_CHARS:
            value, cut = value[:MAX_ATTRIBUTE_CHARS], True
        result[key] = value
    return result, cut


def bounded_frame(fields) -> tuple[list[dict], bool]:
    """:func:`bounded_attributes` of every row of a pandas DataFrame, column by column
    (a table of 100,000 parcels would spend most of a second row by row)."""
    import pandas as pd

    names = [str(c)[:200] for c in fields.columns[:MAX_ATTRIBUTES]]
    cut = len(fields.columns) > MAX_ATTRIBUTES
    columns = []
    for position in range(len(names)):
        series = fields.iloc[:, position]
        values = series.astype(object).where(series.notna(), None).tolist()
        if not (pd.api.types.is_numeric_dtype(series) or pd.api.types.is_string_dtype(series)):
            values = [attribute_value(v) for v in values]
        elif series.dtype == object:
            values = [v if v is None or type(v) is str else attribute_value(v) for v in values]
        if any(isinstance(v, str) and len(v) > MAX_ATTRIBUTE_CHARS for v in values):
            cut = True
            values = [v[:MAX_ATTRIBUTE_CHARS] if isinstance(v, str) else v for v in values]
        columns.append(values)
    if not columns:
        return [{} for _ in range(len(fields))], cut
    return [dict(zip(names, row)) for row in zip(*columns)], cut


ATTRIBUTES_CUT = Msg("attributes.cut", fields=MAX_ATTRIBUTES, chars=MAX_ATTRIBUTE_CHARS)


def input_error(filename: str, problems: list[Problem]) -> InputError:
    """One 422 listing every problem (up to a limit), the first in the message."""
    shown = problems[:MAX_REPORTED_PROBLEMS]
    hidden = len(problems) - len(shown)
    return InputError(
        "input.problems" if len(problems) > 1 else "input.problem",
        file=filename,
        count=len(problems),
        first=shown[0].whole(),
        more=Msg("input.more", hidden=hidden) if hidden else "",
        details={"file": filename, "problems": [p.to_dict() for p in shown]},
    )
