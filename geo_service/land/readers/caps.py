"""Caps on what one upload may hold (config MAX_*), enforced while reading, before big objects.

Every cap refusal is a 422 naming the cap, its value and the config key that sets it.
"""

from __future__ import annotations

import re

import numpy as np
import shapely

from geo_service.errors import InputError
from geo_service.land.model import IN_FILE, Problem, at_line, input_error
from geo_service.messages import Msg

#: cap attribute of Limits -> (config key, the message naming what is counted)
CAPS = {
    "max_parcels": ("MAX_PARCELS", "cap.parcels"),
    "max_vertices_per_parcel": ("MAX_VERTICES_PER_PARCEL", "cap.vertices_per_parcel"),
    "max_vertices": ("MAX_VERTICES", "cap.vertices"),
    "max_json_depth": ("MAX_JSON_DEPTH", "cap.json_depth"),
    "big_max_parcels": ("BIG_CHECK_MAX_PARCELS", "cap.parcels"),
    "big_max_vertices": ("BIG_CHECK_MAX_VERTICES", "cap.vertices"),
}
# A JSON string (escapes included) or a bracket: strings hold no structure.
JSON_TOKEN = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{}]', re.S)


def over_cap(
    filename: str, where, cap: str, count: int, limit: int, at_least: bool = False
) -> InputError:
    """The 422 for ``count`` (or more, when ``at_least``) over ``cap`` (a Limits attribute)."""
    key, what = CAPS[cap]
    return input_error(
        filename,
        [
            Problem(
                where,
                Msg(
                    "cap.exceeded_at_least" if at_least else "cap.exceeded",
                    what=Msg(what),
                    count=f"{count:,}",
                    key=key,
                    limit=limit,
                ),
                Msg("cap.split", key=key),
            )
        ],
    )


class Tally:
    """Counts parcels and vertices as a reader goes, refusing as soon as a cap is passed."""

    def __init__(self, filename: str, limits):
        self.filename, self.limits = filename, limits
        self.parcels = self.vertices = 0

    def parcel(self, where) -> None:
        self.parcels += 1
        if self.parcels > self.limits.max_parcels:
            raise over_cap(
                self.filename, where, "max_parcels", self.parcels, self.limits.max_parcels, True
            )

    def add(self, where, in_parcel: int, added: int) -> None:
        """``added`` more vertices, ``in_parcel`` now in the current parcel."""
        self.vertices += added
        if in_parcel > self.limits.max_vertices_per_parcel:
            raise over_cap(
                self.filename,
                where,
                "max_vertices_per_parcel",
                in_parcel,
                self.limits.max_vertices_per_parcel,
                True,
            )
        if self.vertices > self.limits.max_vertices:
            raise over_cap(
                self.filename, where, "max_vertices", self.vertices, self.limits.max_vertices, True
            )


def check_counts(filename: str, where: np.ndarray, counts: np.ndarray, limits) -> None:
    """Vertex counts per parcel (a bulk reader's) against the caps, parcels included."""
    if len(counts) > limits.max_parcels:
        raise over_cap(filename, IN_FILE, "max_parcels", len(counts), limits.max_parcels)
    big = np.flatnonzero(counts > limits.max_vertices_per_parcel)
    if len(big):
        raise over_cap(
            filename,
            where[big[0]],
            "max_vertices_per_parcel",
            int(counts[big[0]]),
            limits.max_vertices_per_parcel,
        )
    total = int(counts.sum())
    if total > limits.max_vertices:
        raise over_cap(filename, IN_FILE, "max_vertices", total, limits.max_vertices)


def check_raw(raw, limits) -> None:
    """The caps on what a reader produced (a last guard: readers refuse earlier)."""
    if raw.table is not None:
        where, geometries = raw.table.where, raw.table.geometry
        counts = shapely.get_num_coordinates(geometries) if len(geometries) else np.zeros(0, int)
    else:
        where = np.array([p.where for p in raw.parcels], dtype=object)
        counts = np.array(
            [
                sum(len(r) for r in p.rings)
                if p.rings is not None
                else int(shapely.get_num_coordinates(p.geometry))
                for p in raw.parcels
            ],
            dtype=np.int64,
        )
    check_counts(raw.filename, where, np.asarray(counts, dtype=np.int64), limits)


def json_depth(text: str) -> int:
    """How deep ``text``'s arrays and objects nest, found without recursion or parsing:
    brackets inside strings (an odd number of unescaped quotes before them) do not count."""
    data = text.encode("utf-8", "surrogatepass")
    if "\\" in text:  # escapes keep their length, so positions stay put
        data = data.replace(b"\\\\", b"__").replace(b'\\"', b"__")
    codes = np.frombuffer(data, dtype=np.uint8)
    quotes = np.flatnonzero(codes == 0x22)
    at = np.flatnonzero((codes == 0x5B) | (codes == 0x5D) | (codes == 0x7B) | (codes == 0x7D))
    at = at[np.searchsorted(quotes, at) % 2 == 0]
    if not len(at):
        return 0
    opening = (codes[at] == 0x5B) | (codes[at] == 0x7B)
    return int(np.cumsum(np.where(opening, 1, -1).astype(np.int32)).max())


def check_json_depth(text: str, filename: str, limits) -> None:
    """Refuse JSON nested deeper than MAX_JSON_DEPTH before json.loads sees it."""
    limit = limits.max_json_depth
    depth = json_depth(text)
    if depth <= limit:
        return
    level = 0
    line = 1
    for match in JSON_TOKEN.finditer(text):  # the error path only: find the line
        token = match.group()
        level += 1 if token in "[{" else -1 if token in "]}" else 0
        if level > limit:
            line = text.count("\n", 0, match.start()) + 1
            break
    raise over_cap(filename, at_line(line), "max_json_depth", depth, limit)
