"""Binary formats read by GDAL (pyogrio): zipped Shapefiles, GeoPackages, and KMZ unpacking.

Archives are inspected before anything is unpacked (member count, total size, compression
ratio, names): members are copied into a fresh temporary folder under names the service
chooses, checked by their magic bytes, and GDAL opens only those, with the recognised
format's driver (see guard.py).
"""

from __future__ import annotations

import io
import logging
import tempfile
import zipfile
from pathlib import Path, PurePosixPath

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely

from geo_service.errors import TooLarge
from geo_service.land.model import (
    IN_FILE,
    ParcelTable,
    Problem,
    RawFile,
    at_feature,
    at_parameter,
    bounded_frame,
    input_error,
)
from geo_service.land.readers import guard
from geo_service.land.readers.caps import check_counts, over_cap
from geo_service.land.readers.guard import listing
from geo_service.land.readers.kml import read_kml
from geo_service.land.readers.text import DECLARED_HA_KEYS, ID_KEYS, NAME_KEYS
from geo_service.messages import Msg

log = logging.getLogger(__name__)
SHAPEFILE_PARTS = (".shp", ".shx", ".dbf", ".prj", ".cpg")
#: Other data files a zip may hold (one of them, read as if uploaded on its own): the format
#: each name ending must hold.
ZIPPED_FILES = {
    ".gpkg": "gpkg",
    ".geojson": "geojson",
    ".json": "geojson",
    ".csv": "csv",
    ".txt": "jzd",
}
REEXPORT = Msg("zip.again")


def member_name(info: zipfile.ZipInfo) -> str:
    """The member's name as its author wrote it: names without the UTF-8 flag (0x800) are
    the archiver's code page, GBK on Chinese Windows; zipfile read them as cp437."""
    if info.flag_bits & 0x800:
        return info.filename
    raw = info.filename.encode("cp437", errors="replace")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("gb18030", errors="replace")


def safe_members(data: bytes, filename: str, limits) -> zipfile.ZipFile:
    """The archive, after refusing bombs, huge member counts and unsafe names."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = archive.infolist()
    except (zipfile.BadZipFile, ValueError, NotImplementedError):
        raise input_error(filename, [Problem(IN_FILE, Msg("zip.broken"), REEXPORT)]) from None
    if len(members) > limits.max_zip_members:
        raise TooLarge(
            "zip.too_many_members",
            file=filename,
            count=len(members),
            limit=limits.max_zip_members,
        )
    unpacked = sum(m.file_size for m in members)
    if unpacked > limits.max_unpacked_bytes:
        raise TooLarge(
            "zip.too_big_unpacked",
            file=filename,
            size=f"{unpacked:,}",
            limit=limits.max_unpacked_bytes,
        )
    for member in members:
        name = member_name(member)
        path = PurePosixPath(name.replace("\\", "/"))
        if path.is_absolute() or ".." in path.parts or name.startswith("/") or ":" in name:
            raise input_error(
                filename,
                [Problem(name[:200], Msg("zip.unsafe_path"), Msg("zip.relative_paths"))],
            )
        ratio = member.file_size / max(member.compress_size, 1)
        if member.file_size > 1024 * 1024 and ratio > limits.max_compression_ratio:
            raise TooLarge("zip.bomb", file=filename, member=name[:200], ratio=f"{ratio:.0f}")
    return archive


def pick_shapefile(filename: str, shapefiles: dict[str, zipfile.ZipInfo], layer: str | None):
    """The .shp ``layer`` names (its stem, or its path in the archive), or the only one."""
    stems = [PurePosixPath(n).stem for n in shapefiles]
    if layer is None:
        if len(shapefiles) > 1:
            raise input_error(
                filename,
                [
                    Problem(
                        IN_FILE,
                        Msg("shp.several", count=len(shapefiles), names=listing(stems)),
                        Msg("layer.pick_one"),
                    )
                ],
            )
        return next(iter(shapefiles))
    wanted = layer.strip().lower().removesuffix(".shp")
    for name in shapefiles:
        if wanted in (PurePosixPath(name).stem.lower(), name.lower().removesuffix(".shp")):
            return name
    raise input_error(
        filename,
        [
            Problem(
                at_parameter("layer"),
                Msg("layer.unknown", layer=layer[:100], layers=listing(stems)),
                Msg("layer.pick"),
            )
        ],
    )


def read_zip(
    data: bytes, filename: str, *, limits, layer: str | None = None, kind: str = "polygon"
) -> RawFile:
    """A zipped Shapefile (the .shp may sit in a subfolder), or a KMZ."""
    archive = safe_members(data, filename, limits)
    members = {member_name(m): m for m in archive.infolist() if not m.is_dir()}
    shapefiles = {n: m for n, m in members.items() if n.lower().endswith(".shp")}
    if not members:
        raise input_error(filename, [Problem(IN_FILE, Msg("zip.empty"), Msg("zip.how"))])
    if not shapefiles:
        kml = [n for n in members if n.lower().endswith(".kml")]
        if kml:
            content = read_member(archive, members[kml[0]], limits, filename)
            return read_kml(content, filename, limits, kind)
        return read_zipped_file(archive, members, filename, limits, layer, kind)
    chosen = pick_shapefile(filename, shapefiles, layer)
    stem = chosen[:-4]
    lower = {n.lower(): n for n in members}
    missing = [ext for ext in (".shx", ".dbf") if (stem + ext).lower() not in lower]
    if missing:
        raise input_error(
            filename,
            [
                Problem(
                    chosen[:200],
                    Msg("shp.missing_parts", parts=" ".join(missing)),
                    Msg("shp.needs_parts"),
                )
            ],
        )
    parts = {
        ext: read_member(archive, members[lower[(stem + ext).lower()]], limits, filename)
        for ext in SHAPEFILE_PARTS
        if (stem + ext).lower() in lower
    }
    guard.check_shapefile_parts(filename, chosen, parts[".shp"], parts[".shx"], parts[".dbf"])
    counts = guard.shapefile_vertex_counts(parts[".shp"], parts[".shx"])
    features = np.array([at_feature(n) for n in range(1, len(counts) + 1)], dtype=object)
    check_counts(filename, features, counts, limits)
    with tempfile.TemporaryDirectory(prefix="geo_service-") as folder:
        for ext, content in parts.items():
            (Path(folder) / f"upload{ext}").write_bytes(content)
        notes = []
        encoding = None
        if ".cpg" not in parts:
            encoding = dbf_encoding(parts[".dbf"])
            notes.append(Msg("shp.no_cpg", encoding=encoding))
        path = Path(folder) / "upload.shp"
        guard.require_driver(path, guard.SHAPEFILE_DRIVER, filename)
        raw = read_with_gdal(path, filename, "shapefile", None, encoding, limits, kind)
    renamed = field_notes(archive, members, stem, limits, filename)
    if renamed and raw.table is not None and raw.table.attributes is not None:
        raw.table.attributes = np.array(
            [{renamed.get(k, k): v for k, v in a.items()} for a in raw.table.attributes] + [None],
            dtype=object,
        )[:-1]
        notes.append(Msg("shp.fields_restored"))
    raw.notes = notes + raw.notes
    return raw


def read_zipped_file(
    archive, members: dict, filename: str, limits, layer: str | None, kind: str = "polygon"
):
    """A zip of one GeoPackage, GeoJSON, CSV or 界址点 txt (not a Shapefile, not a KML):
    that file, read as if it had been uploaded on its own (``layer=`` picks one of several).
    A member counts only when its content is the format its name says (a readme.txt is not
    a 界址点 file)."""
    from geo_service.land.readers import read_parcel_file, sniff

    found = {}
    for name, info in members.items():
        expected = ZIPPED_FILES.get(PurePosixPath(name).suffix.lower())
        if expected is not None and len(found) < 20:
            content = read_member(archive, info, limits, filename)
            if sniff(content) == expected:
                found[name] = content
    if len(found) > 1 and layer is not None:
        wanted = layer.strip().lower()
        picked = {
            n: c for n, c in found.items() if wanted in (n.lower(), PurePosixPath(n).stem.lower())
        }
        found, layer = (picked, None) if picked else (found, layer)
    if not found:
        names = listing(sorted(members)[:20])
        raise input_error(
            filename, [Problem(IN_FILE, Msg("zip.no_data_file", members=names), Msg("zip.how"))]
        )
    if len(found) > 1:
        raise input_error(
            filename,
            [
                Problem(
                    IN_FILE,
                    Msg("zip.several_data_files", count=len(found), names=listing(found)),
                    Msg("layer.pick_one"),
                )
            ],
        )
    ((_, content),) = found.items()
    return read_parcel_file(content, filename, limits=limits, layer=layer, kind=kind)


def field_notes(archive, members: dict, stem: str, limits, filename: str) -> dict[str, str]:
    """The 字段说明.txt geo_service writes beside a Shapefile (dBASE name -> original name)."""
    folder = PurePosixPath(stem).parent
    wanted = str(folder / "字段说明.txt") if str(folder) != "." else "字段说明.txt"
    info = members.get(wanted)
    if info is None or info.file_size > 1024 * 1024:
        return {}
    text = read_member(archive, info, limits, filename).decode("utf-8-sig", errors="replace")
    pairs = [line.split("\t") for line in text.splitlines()[1:]]  # dBASE name, full name, …
    return {p[0]: p[1] for p in pairs if len(p) >= 2 and p[0] and p[1]}


def read_member(
    archive: zipfile.ZipFile, info: zipfile.ZipInfo, limits, filename: str = "zip"
) -> bytes:
    try:
        with archive.open(info) as member:
            content = member.read(limits.max_unpacked_bytes + 1)
    except (zipfile.BadZipFile, NotImplementedError, RuntimeError, OSError, EOFError):
        raise input_error(
            filename, [Problem(member_name(info)[:200], Msg("zip.cannot_unpack"), REEXPORT)]
        ) from None
    if len(content) > limits.max_unpacked_bytes:
        raise TooLarge(
            "zip.member_too_big",
            file=filename,
            member=member_name(info)[:200],
            limit=limits.max_unpacked_bytes,
        )
    return content


def dbf_encoding(dbf: bytes) -> str:
    """UTF-8 if the attribute bytes decode as such, else GB18030 (GBK) as Chinese offices use."""
    header_length = int.from_bytes(dbf[8:10], "little") if len(dbf) > 10 else 0
    try:
        dbf[header_length:].decode("utf-8")
        return "UTF-8"
    except UnicodeDecodeError:
        return "GB18030"


def read_geopackage(
    data: bytes, filename: str, *, layer: str | None = None, limits, kind: str = "polygon"
) -> RawFile:
    with tempfile.TemporaryDirectory(prefix="geo_service-") as folder:
        path = Path(folder) / "upload.gpkg"
        path.write_bytes(data)
        if not guard.is_geopackage(path):
            raise guard.refused(filename, IN_FILE, Msg("gpkg.not_gpkg"), Msg("gpkg.export_as"))
        layers = guard.gpkg_layers(path, filename)
        chosen = guard.pick_gpkg_layer(filename, layers, layer, kind)
        guard.check_gpkg_layer(path, filename, chosen, limits)
        guard.require_driver(path, guard.GPKG_DRIVER, filename)
        # the GPKG: prefix makes GDAL open the file with the GeoPackage driver and no other
        return read_with_gdal(Path(f"GPKG:{path}"), filename, "gpkg", chosen, None, limits, kind)


def read_with_gdal(
    path: Path,
    filename: str,
    kind: str,
    layer: str | None,
    encoding: str | None,
    limits,
    shapes: str = "polygon",
) -> RawFile:
    """A Shapefile or GeoPackage layer read by GDAL; ``shapes``: the features wanted (for
    points or lines, the wrong kinds are left to land.prepare, which names them)."""
    driver = guard.GPKG_DRIVER if kind == "gpkg" else guard.SHAPEFILE_DRIVER
    try:
        frame = pyogrio.read_dataframe(
            str(path), layer=layer, encoding=encoding, max_features=limits.max_parcels + 1
        )
    except Exception as exc:  # GDAL's message may quote the file: never sent to the client
        log.info("GDAL (%s) cannot read an upload: %s", driver, type(exc).__name__)
        raise guard.gdal_failed(filename, driver) from None
    if not isinstance(frame, gpd.GeoDataFrame):
        raise input_error(
            filename,
            [
                Problem(
                    str(layer) if layer else IN_FILE,
                    Msg("layer.attribute_table"),
                    Msg("layer.upload_polygons"),
                )
            ],
        )
    if len(frame) > limits.max_parcels:
        raise over_cap(filename, IN_FILE, "max_parcels", len(frame), limits.max_parcels, True)
    return raw_of_frame(frame, filename, kind, shapes)


def raw_of_frame(frame, filename: str, kind: str, shapes: str = "polygon", first: int = 1):
    """A GDAL-read frame as a RawFile; ``first``: the file's number of its first feature (a
    big check reads its file a chunk at a time, land.big_check)."""
    from geo_service.land.prepare import give_hint

    crs = frame.crs
    source = ".prj" if kind == "shapefile" else "GeoPackage"
    raw = RawFile(filename, kind, [], crs, Msg("crs.from_file", source=source) if crs else "")
    geometries = frame.geometry.to_numpy()
    count = len(geometries)
    numbers = np.arange(first, first + count)
    parcel_id = first_column(frame, ID_KEYS)
    parcel_id = np.where(parcel_id == "", [f"地块{n}" for n in numbers], parcel_id)
    where = np.array(
        [Msg("where.feature_parcel", feature=int(n), parcel=i) for n, i in zip(numbers, parcel_id)],
        dtype=object,
    )
    kinds = shapely.get_type_id(geometries)  # -1 missing, 3 Polygon, 6 MultiPolygon
    empty = (kinds == -1) | shapely.is_empty(geometries)
    for i in np.flatnonzero(empty):
        raw.problems.append(Problem(where[i], Msg("geometry.empty"), give_hint(shapes)))
    for i in np.flatnonzero(~empty & ~np.isin(kinds, (3, 6)) & (shapes == "polygon")):
        raw.problems.append(
            Problem(
                where[i],
                Msg("geometry.not_parcel", kind=geometries[i].geom_type),
                Msg("geometry.must_be_polygon"),
            )
        )
    names = first_column(frame, NAME_KEYS)
    declared = first_column(frame, DECLARED_HA_KEYS, text=False)
    records, cut = bounded_frame(pd.DataFrame(frame.drop(columns=frame.geometry.name)))
    attributes = np.empty(count, dtype=object)
    attributes[:] = records
    raw.table = ParcelTable(
        parcel_id=parcel_id,
        where=where,
        declared_area_ha=declared,
        name=names,
        geometry=geometries,
        attributes=attributes,
        attributes_cut=cut,
    )
    return raw


def first_column(frame, keys: tuple[str, ...], text: bool = True) -> np.ndarray:
    """The first of ``keys`` (case-insensitive) among the columns, as strings ("" if absent)
    or, with ``text=False``, as numbers (None if absent or not a number)."""
    columns = {str(c).lower(): c for c in frame.columns if c != "geometry"}
    column = next((columns[k] for k in keys if k in columns), None)
    if column is None:
        return np.full(len(frame), "" if text else None, dtype=object)
    values = frame[column]
    if text:
        return values.astype(object).where(values.notna(), "").astype(str).to_numpy(dtype=object)
    numbers = pd.to_numeric(values, errors="coerce")
    return numbers.astype(object).where(numbers.notna(), None).to_numpy(dtype=object)
