"""What the readers produce: parcels as given, with where each came from and what is wrong."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pyproj

from geo_service.errors import InputError

MAX_REPORTED_PROBLEMS = 50


@dataclass
class Problem:
    """One thing wrong with the input: where (line or feature), what, and what to do."""

    where: str
    message: str
    hint: str = ""
    severity: str = "error"  # "error" stops the check; "warning" is kept with the result

    def text(self) -> str:
        return f"{self.where}: {self.message}" + (f" ({self.hint})" if self.hint else "")

    def to_dict(self) -> dict:
        return {
            "where": self.where,
            "message": self.message,
            "hint": self.hint,
            "severity": self.severity,
        }


@dataclass
class RawParcel:
    """A parcel as read, before validation.

    Either ``rings`` (coordinate arrays of shape (n, 2), x = easting or longitude, as given:
    closure not yet checked) with optional ``parts`` grouping them into polygons
    ([exterior, hole, ...] index lists; None = group by containment), or ``geometry``
    (a shapely geometry from a GDAL-read format).
    """

    parcel_id: str
    where: str
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


@dataclass
class RawFile:
    """A parsed parcel file: its parcels, its CRS (None when the file does not say), notes."""

    filename: str
    format: str
    parcels: list[RawParcel]
    crs: pyproj.CRS | None = None
    crs_note: str = ""
    notes: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    table: ParcelTable | None = None  # instead of ``parcels`` for formats read in bulk


def input_error(filename: str, problems: list[Problem]) -> InputError:
    """One 422 listing every problem (up to a limit), the first in the message (Chinese first:
    each Problem's message and hint are written "中文 (English)")."""
    shown = problems[:MAX_REPORTED_PROBLEMS]
    hidden = len(problems) - len(shown)
    more = f"；另有 {hidden} 处未列出 ({hidden} more not listed)" if hidden else ""
    first = shown[0].text()
    count = (
        f"共 {len(problems)} 处问题（{len(problems)} problems），第一处："
        if len(problems) > 1
        else ""
    )
    return InputError(
        f"{filename}: {count}{first}{more}",
        details={"file": filename, "problems": [p.to_dict() for p in shown]},
    )
