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
from geo_service.land.model import ParcelTable, Problem, RawFile, bounded_frame, input_error
from geo_service.land.readers import guard
from geo_service.land.readers.caps import check_counts, over_cap
from geo_service.land.readers.kml import read_kml
from geo_service.land.readers.text import DECLARED_HA_KEYS, ID_KEYS, NAME_KEYS

log = logging.getLogger(__name__)
SHAPEFILE_PARTS = (".shp", ".shx", ".dbf", ".prj", ".cpg")
REEXPORT = "请重新压缩或导出文件 (zip or export the files again)"


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
        raise input_error(
            filename, [Problem("file", "zip 压缩包已损坏 (broken zip archive)", REEXPORT)]
        ) from None
    if len(members) > limits.max_zip_members:
        raise TooLarge(
            f"{filename}: 压缩包内有 {len(members)} 个文件，最多接受 {limits.max_zip_members} 个 "
            f"({len(members)} files in the archive; at most {limits.max_zip_members})"
        )
    unpacked = sum(m.file_size for m in members)
    if unpacked > limits.max_unpacked_bytes:
        raise TooLarge(
            f"{filename}: 解压后 {unpacked:,} 字节，超过上限 MAX_UNPACKED_BYTES="
            f"{limits.max_unpacked_bytes} (unpacks to {unpacked:,} bytes; the limit is "
            f"{limits.max_unpacked_bytes:,})"
        )
    for member in members:
        name = member_name(member)
        path = PurePosixPath(name.replace("\\", "/"))
        if path.is_absolute() or ".." in path.parts or name.startswith("/") or ":" in name:
            raise input_error(
                filename,
                [
                    Problem(
                        name,
                        "压缩包内有不安全的路径 (unsafe path in the archive)",
                        "压缩包成员须为相对路径 (archive members must be relative paths)",
                    )
                ],
            )
        ratio = member.file_size / max(member.compress_size, 1)
        if member.file_size > 1024 * 1024 and ratio > limits.max_compression_ratio:
            raise TooLarge(
                f"{filename}: {name} 压缩比 {ratio:.0f} 倍，疑似压缩炸弹，已拒绝 "
                f"(expands {ratio:.0f}-fold, a zip bomb?)"
            )
    return archive


def pick_shapefile(filename: str, shapefiles: dict[str, zipfile.ZipInfo], layer: str | None):
    """The .shp ``layer`` names (its stem, or its path in the archive), or the only one."""
    stems = [PurePosixPath(n).stem for n in shapefiles]
    listing = "、".join(stems)
    if layer is None:
        if len(shapefiles) > 1:
            raise input_error(
                filename,
                [
                    Problem(
                        "file",
                        f"压缩包内有 {len(shapefiles)} 个 Shapefile：{listing} "
                        f"({len(shapefiles)} shapefiles in the archive)",
                        "请用 layer=图层名 指定其一 (pass layer=NAME to pick one)",
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
                "layer",
                f"没有名为 {layer[:100]!r} 的图层；可用图层：{listing} "
                f"(no layer named {layer[:100]!r}; available: {', '.join(stems)})",
                "请用 layer= 指定上列图层之一 (pass one of these as layer=)",
            )
        ],
    )


def read_zip(data: bytes, filename: str, *, limits, layer: str | None = None) -> RawFile:
    """A zipped Shapefile (the .shp may sit in a subfolder), or a KMZ."""
    archive = safe_members(data, filename, limits)
    members = {member_name(m): m for m in archive.infolist() if not m.is_dir()}
    shapefiles = {n: m for n, m in members.items() if n.lower().endswith(".shp")}
    if not members:
        raise input_error(
            filename,
            [
                Problem(
                    "file",
                    "压缩包中没有可读取的数据文件：压缩包是空的 (the archive is empty)",
                    "请将 .shp 与 .shx、.dbf、.prj 一起压缩后上传 "
                    "(zip the .shp with its .shx, .dbf and .prj)",
                )
            ],
        )
    if not shapefiles:
        kml = [n for n in members if n.lower().endswith(".kml")]
        if kml:
            return read_kml(read_member(archive, members[kml[0]], limits), filename, limits)
        raise input_error(
            filename,
            [
                Problem(
                    "file",
                    "压缩包中没有可读取的数据文件：没有 .shp（或 .kml） "
                    "(the archive holds no .shp (or .kml))",
                    "请将 .shp 与 .shx、.dbf、.prj 一起压缩 "
                    "(zip the .shp with its .shx, .dbf and .prj)",
                )
            ],
        )
    chosen = pick_shapefile(filename, shapefiles, layer)
    stem = chosen[:-4]
    lower = {n.lower(): n for n in members}
    missing = [ext for ext in (".shx", ".dbf") if (stem + ext).lower() not in lower]
    if missing:
        raise input_error(
            filename,
            [
                Problem(
                    chosen,
                    f"缺少 {'、'.join(missing)} (missing {', '.join(missing)})",
                    "Shapefile 需要 .shp、.shx 和 .dbf (a Shapefile needs its .shp, .shx and .dbf)",
                )
            ],
        )
    parts = {
        ext: read_member(archive, members[lower[(stem + ext).lower()]], limits)
        for ext in SHAPEFILE_PARTS
        if (stem + ext).lower() in lower
    }
    guard.check_shapefile_parts(filename, chosen, parts[".shp"], parts[".shx"], parts[".dbf"])
    counts = guard.shapefile_vertex_counts(parts[".shp"], parts[".shx"])
    features = np.array([f"feature {n}" for n in range(1, len(counts) + 1)], dtype=object)
    check_counts(filename, features, counts, limits)
    with tempfile.TemporaryDirectory(prefix="geo_service-") as folder:
        for ext, content in parts.items():
            (Path(folder) / f"upload{ext}").write_bytes(content)
        notes = []
        encoding = None
        if ".cpg" not in parts:
            encoding = dbf_encoding(parts[".dbf"])
            notes.append(
                f"没有 .cpg：属性编码识别为 {encoding} (no .cpg: encoding detected as {encoding})"
            )
        path = Path(folder) / "upload.shp"
        guard.require_driver(path, guard.SHAPEFILE_DRIVER, filename)
        raw = read_with_gdal(path, filename, "shapefile", None, encoding, limits)
    renamed = field_notes(archive, members, stem, limits)
    if renamed and raw.table is not None and raw.table.attributes is not None:
        raw.table.attributes = np.array(
            [{renamed.get(k, k): v for k, v in a.items()} for a in raw.table.attributes] + [None],
            dtype=object,
        )[:-1]
        notes.append("字段说明.txt: dBASE 字段名已恢复为原字段名 (field names restored)")
    raw.notes = notes + raw.notes
    return raw


def field_notes(archive, members: dict, stem: str, limits) -> dict[str, str]:
    """The 字段说明.txt geo_service writes beside a Shapefile (dBASE name -> original name)."""
    folder = PurePosixPath(stem).parent
    wanted = str(folder / "字段说明.txt") if str(folder) != "." else "字段说明.txt"
    info = members.get(wanted)
    if info is None or info.file_size > 1024 * 1024:
        return {}
    text = read_member(archive, info, limits).decode("utf-8", errors="replace")
    pairs = [line.split("\t") for line in text.splitlines()[1:]]
    return {p[0]: p[1] for p in pairs if len(p) == 2 and p[0] and p[1]}


def read_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, limits) -> bytes:
    try:
        with archive.open(info) as member:
            content = member.read(limits.max_unpacked_bytes + 1)
    except (zipfile.BadZipFile, NotImplementedError, RuntimeError, OSError, EOFError):
        raise input_error(
            "zip",
            [Problem(member_name(info), "无法解压该文件 (cannot unpack this member)", REEXPORT)],
        ) from None
    if len(content) > limits.max_unpacked_bytes:
        raise TooLarge(
            f"{member_name(info)}: 解压后超过 MAX_UNPACKED_BYTES={limits.max_unpacked_bytes} "
            f"(unpacks beyond {limits.max_unpacked_bytes:,} bytes)"
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


def read_geopackage(data: bytes, filename: str, *, layer: str | None = None, limits) -> RawFile:
    with tempfile.TemporaryDirectory(prefix="geo_service-") as folder:
        path = Path(folder) / "upload.gpkg"
        path.write_bytes(data)
        if not guard.is_geopackage(path):
            raise guard.refused(
                filename,
                "file",
                "不是 GeoPackage：SQLite 文件缺少 GeoPackage 标识"
                "（application_id 或 gpkg_contents）",
                "not a GeoPackage: no application_id GPKG nor gpkg_contents",
                "请从 GIS 软件导出为 GeoPackage (export as GeoPackage)",
            )
        layers = guard.gpkg_layers(path, filename)
        chosen = guard.pick_gpkg_layer(filename, layers, layer)
        guard.check_gpkg_layer(path, filename, chosen, limits)
        guard.require_driver(path, guard.GPKG_DRIVER, filename)
        # the GPKG: prefix makes GDAL open the file with the GeoPackage driver and no other
        return read_with_gdal(Path(f"GPKG:{path}"), filename, "gpkg", chosen, None, limits)


def read_with_gdal(
    path: Path, filename: str, kind: str, layer: str | None, encoding: str | None, limits
) -> RawFile:
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
                    str(layer or "file"),
                    "没有几何列：这是属性表，不含地块图形 (no geometry column: an attribute table)",
                    "请上传含多边形的图层 (upload the layer holding the polygons)",
                )
            ],
        )
    if len(frame) > limits.max_parcels:
        raise over_cap(filename, "file", "max_parcels", len(frame), limits.max_parcels, True)
    crs = frame.crs
    where = ".prj" if kind == "shapefile" else "GeoPackage"
    note = f"文件自带的坐标系（{where}） (the file's own CRS)" if crs else ""
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
        raw.problems.append(
            Problem(where[i], "几何为空 (empty geometry)", "请提供地块多边形 (give the polygon)")
        )
    for i in np.flatnonzero(~empty & ~np.isin(kinds, (3, 6))):
        kind_name = geometries[i].geom_type
        raw.problems.append(
            Problem(
                where[i],
                f"{kind_name} 不是地块 (a {kind_name} is not a parcel)",
                "地块须为多边形 (parcels must be polygons)",
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
