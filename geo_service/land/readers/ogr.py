"""Binary formats read by GDAL (pyogrio): zipped Shapefiles, GeoPackages, and KMZ unpacking.

Archives are inspected before anything is unpacked (member count, total size, compression
ratio, names): members are copied into a fresh temporary folder under names the service
chooses, and GDAL only opens those.
"""

from __future__ import annotations

import io
import tempfile
import zipfile
from pathlib import Path, PurePosixPath

import numpy as np
import pandas as pd
import pyogrio
import shapely

from geo_service.errors import TooLarge
from geo_service.land.model import ParcelTable, Problem, RawFile, input_error
from geo_service.land.readers.text import DECLARED_HA_KEYS, ID_KEYS, NAME_KEYS, read_kml

SHAPEFILE_PARTS = (".shp", ".shx", ".dbf", ".prj", ".cpg")


def safe_members(data: bytes, filename: str, limits) -> zipfile.ZipFile:
    """The archive, after refusing bombs, huge member counts and unsafe names."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = archive.infolist()
    except zipfile.BadZipFile as exc:
        raise input_error(
            filename, [Problem("file", f"broken zip archive: {exc}", "zip the files again")]
        ) from None
    if len(members) > limits.max_zip_members:
        raise TooLarge(
            f"{filename}: {len(members)} files in the archive; at most "
            f"{limits.max_zip_members} are accepted"
        )
    unpacked = sum(m.file_size for m in members)
    if unpacked > limits.max_unpacked_bytes:
        raise TooLarge(
            f"{filename}: unpacks to {unpacked:,} bytes; the limit is {limits.max_unpacked_bytes:,}"
        )
    for member in members:
        path = PurePosixPath(member.filename.replace("\\", "/"))
        if path.is_absolute() or ".." in path.parts or member.filename.startswith("/"):
            raise input_error(
                filename,
                [
                    Problem(
                        member.filename,
                        "unsafe path in the archive",
                        "archive members must be relative paths",
                    )
                ],
            )
        ratio = member.file_size / max(member.compress_size, 1)
        if member.file_size > 1024 * 1024 and ratio > limits.max_compression_ratio:
            raise TooLarge(
                f"{filename}: {member.filename} expands {ratio:.0f}-fold (a zip bomb?); refused"
            )
    return archive


def read_zip(data: bytes, filename: str, *, limits, layer: str | None = None) -> RawFile:
    """A zipped Shapefile (the .shp may sit in a subfolder), or a KMZ."""
    archive = safe_members(data, filename, limits)
    names = [m.filename for m in archive.infolist() if not m.is_dir()]
    shapefiles = [n for n in names if n.lower().endswith(".shp")]
    if not shapefiles:
        kml = [n for n in names if n.lower().endswith(".kml")]
        if kml:
            return read_kml(read_member(archive, kml[0], limits), filename)
        raise input_error(
            filename,
            [
                Problem(
                    "file",
                    "the archive holds no .shp (or .kml)",
                    "zip the .shp with its .shx, .dbf and .prj",
                )
            ],
        )
    if len(shapefiles) > 1 and layer is None:
        raise input_error(
            filename,
            [
                Problem(
                    "file",
                    f"{len(shapefiles)} shapefiles in the archive: {', '.join(shapefiles)}",
                    "pass layer=NAME to pick one",
                )
            ],
        )
    chosen = next((s for s in shapefiles if PurePosixPath(s).stem == layer), shapefiles[0])
    stem = chosen[:-4]
    lower = {n.lower(): n for n in names}
    missing = [ext for ext in (".shx", ".dbf") if (stem + ext).lower() not in lower]
    if missing:
        raise input_error(
            filename,
            [
                Problem(
                    chosen,
                    f"missing {', '.join(missing)}",
                    "a Shapefile needs its .shp, .shx and .dbf",
                )
            ],
        )
    with tempfile.TemporaryDirectory(prefix="geo_service-") as folder:
        for ext in SHAPEFILE_PARTS:
            member = lower.get((stem + ext).lower())
            if member:
                (Path(folder) / f"upload{ext}").write_bytes(read_member(archive, member, limits))
        notes = []
        encoding = None
        if not (Path(folder) / "upload.cpg").exists():
            encoding = dbf_encoding((Path(folder) / "upload.dbf").read_bytes())
            notes.append(f"no .cpg: attribute encoding detected as {encoding}")
        raw = read_with_gdal(Path(folder) / "upload.shp", filename, "shapefile", None, encoding)
    raw.notes = notes + raw.notes
    return raw


def read_member(archive: zipfile.ZipFile, name: str, limits) -> bytes:
    with archive.open(name) as member:
        content = member.read(limits.max_unpacked_bytes + 1)
    if len(content) > limits.max_unpacked_bytes:
        raise TooLarge(f"{name} unpacks beyond {limits.max_unpacked_bytes:,} bytes")
    return content


def dbf_encoding(dbf: bytes) -> str:
    """UTF-8 if the attribute bytes decode as such, else GB18030 (GBK) as Chinese offices use."""
    header_length = int.from_bytes(dbf[8:10], "little") if len(dbf) > 10 else 0
    try:
        dbf[header_length:].decode("utf-8")
        return "UTF-8"
    except UnicodeDecodeError:
        return "GB18030"


def read_geopackage(data: bytes, filename: str, *, layer: str | None = None) -> RawFile:
    with tempfile.TemporaryDirectory(prefix="geo_service-") as folder:
        path = Path(folder) / "upload.gpkg"
        path.write_bytes(data)
        try:
            layers = pyogrio.list_layers(path)
        except pyogrio.errors.DataSourceError as exc:
            raise input_error(
                filename,
                [Problem("file", f"not a readable GeoPackage: {exc}", "export the file again")],
            ) from None
        polygons = [str(n) for n, kind in layers if kind and "Polygon" in str(kind)]
        if layer is None and len(polygons) > 1:
            raise input_error(
                filename,
                [
                    Problem(
                        "file",
                        f"several polygon layers: {', '.join(polygons)}",
                        "pass layer=NAME to pick one",
                    )
                ],
            )
        chosen = layer or (polygons[0] if polygons else None)
        if chosen is None or chosen not in [str(n) for n, _ in layers]:
            raise input_error(
                filename,
                [
                    Problem(
                        "file",
                        "no polygon layer" + (f" named {layer!r}" if layer else ""),
                        "the GeoPackage must hold the parcels as polygons",
                    )
                ],
            )
        return read_with_gdal(path, filename, "gpkg", chosen, None)


def read_with_gdal(
    path: Path, filename: str, kind: str, layer: str | None, encoding: str | None
) -> RawFile:
    try:
        frame = pyogrio.read_dataframe(path, layer=layer, encoding=encoding)
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError) as exc:
        raise input_error(
            filename, [Problem("file", f"GDAL cannot read it: {exc}", "export the file again")]
        ) from None
    crs = frame.crs
    note = f"the file's own CRS ({'.prj' if kind == 'shapefile' else 'GeoPackage'})" if crs else ""
    raw = RawFile(filename, kind, [], crs, note)
    geometries = frame.geometry.to_numpy()
    count = len(geometries)
    numbers = np.arange(1, count + 1)
    parcel_id = first_column(frame, ID_KEYS)
    parcel_id = np.where(parcel_id == "", [f"地块{n}" for n in numbers], parcel_id)
    where = np.array([f"feature {n} ({i})" for n, i in zip(numbers, parcel_id)], dtype=object)
    kinds = shapely.get_type_id(geometries)  # -1 missing, 3 Polygon, 6 MultiPolygon
    empty = (kinds == -1) | shapely.is_empty(geometries)
    for i in np.flatnonzero(empty):
        raw.problems.append(Problem(where[i], "empty geometry", "give the parcel its polygon"))
    for i in np.flatnonzero(~empty & ~np.isin(kinds, (3, 6))):
        raw.problems.append(
            Problem(
                where[i], f"a {geometries[i].geom_type} is not a parcel", "parcels must be polygons"
            )
        )
    names = first_column(frame, NAME_KEYS)
    declared = first_column(frame, DECLARED_HA_KEYS, text=False)
    raw.table = ParcelTable(
        parcel_id=parcel_id,
        where=where,
        declared_area_ha=declared,
        name=np.where(names == "", parcel_id, names),
        geometry=geometries,
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
