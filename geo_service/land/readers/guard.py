"""What GDAL may open: the one driver of the format the bytes were recognised as, nothing a
file names (no VRT, no /vsicurl/, no paths out of the service's own temporary folder).

Three layers: magic bytes checked in Python before GDAL sees a file; GDAL's own driver
identification (GDALIdentifyDriverEx through the libgdal pyogrio loaded) must name the
expected driver, and GeoPackages are opened as ``GPKG:path`` (GDAL's prefix forcing that
driver); process-wide GDAL options refuse network reads and SQLite external access.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import functools
import sqlite3
from pathlib import Path

import numpy as np
import pyogrio

from geo_service.land.model import IN_FILE, Problem, at_parameter, input_error
from geo_service.messages import Msg

SHAPEFILE_DRIVER = "ESRI Shapefile"
GPKG_DRIVER = "GPKG"
SHAPE_TYPES = {0, 1, 3, 5, 8, 11, 13, 15, 18, 21, 23, 25, 28, 31}
DBF_VERSIONS = {0x02, 0x03, 0x04, 0x05, 0x30, 0x31, 0x32, 0x43, 0x63, 0x83, 0x8B, 0x8E, 0xCB, 0xF5}
GPKG_APPLICATION_IDS = {b"GPKG", b"GP10", b"GP11"}
#: Set for the whole process: the service reads no remote file through GDAL.
GDAL_OPTIONS = {
    "CPL_VSIL_CURL_ALLOWED_FILENAME": "/vsicurl/geo_service-reads-no-remote-files",
    "OGR_SQLITE_ALLOW_EXTERNAL_ACCESS": "NO",
    "GDAL_VRT_ENABLE_PYTHON": "NO",
    "OGR_SQLITE_LOAD_EXTENSIONS": "",
}
GDAL_OF_VECTOR = 0x04


def harden_gdal() -> None:
    pyogrio.set_gdal_config_options(GDAL_OPTIONS)


harden_gdal()


def refused(filename: str, where, message: Msg, hint: Msg | None = None) -> Exception:
    return input_error(filename, [Problem(where, message, hint)])


def check_shapefile_parts(filename: str, member: str, shp: bytes, shx: bytes, dbf: bytes) -> None:
    """The .shp/.shx headers (file code 9994, version 1000) and a sane .dbf header."""
    for part, content in ((".shp", shp), (".shx", shx)):
        code = int.from_bytes(content[0:4], "big") if len(content) >= 100 else 0
        version = int.from_bytes(content[28:32], "little") if len(content) >= 100 else 0
        shape = int.from_bytes(content[32:36], "little") if len(content) >= 100 else -1
        if code != 9994 or version != 1000 or shape not in SHAPE_TYPES:
            raise refused(
                filename,
                member[:-4][:200] + part,
                Msg("shp.bad_header", part=part),
                Msg("shp.export_again"),
            )
    if (len(shx) - 100) % 8:
        raise refused(
            filename, member[:-4][:200] + ".shx", Msg("shp.truncated_shx"), Msg("shp.export_again")
        )
    header_length = int.from_bytes(dbf[8:10], "little") if len(dbf) >= 32 else 0
    record_length = int.from_bytes(dbf[10:12], "little") if len(dbf) >= 32 else 0
    if (
        len(dbf) < 33
        or dbf[0] not in DBF_VERSIONS
        or not 33 <= header_length <= len(dbf)
        or record_length < 1
        or b"\r" not in dbf[32:header_length]
    ):
        raise refused(
            filename, member[:-4][:200] + ".dbf", Msg("dbf.bad_header"), Msg("shp.export_again")
        )


def is_geopackage(path: Path) -> bool:
    """SQLite header plus application_id GPKG/GP10/GP11, or a gpkg_contents table."""
    with open(path, "rb") as file:
        header = file.read(100)
    if len(header) < 100 or not header.startswith(b"SQLite format 3\x00"):
        return False
    if header[68:72] in GPKG_APPLICATION_IDS:
        return True
    try:
        with readonly(path) as db:
            found = db.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'gpkg_contents'"
            ).fetchone()
    except sqlite3.DatabaseError:
        return False
    return found is not None


@contextlib.contextmanager
def readonly(path: Path):
    """A read-only, immutable sqlite3 connection to ``path`` (closed on exit)."""
    db = sqlite3.connect(f"{Path(path).resolve().as_uri()}?mode=ro&immutable=1", uri=True)
    try:
        yield db
    finally:
        db.close()


def gpkg_layers(path: Path, filename: str) -> dict[str, tuple[str | None, str]]:
    """Each gpkg_contents table: (geometry column or None, geometry type), read with sqlite3
    before GDAL opens the file. Virtual tables other than R-tree indexes are refused: they
    are how SQLite reaches outside the file (VirtualOGR over /vsicurl/, CSV:...)."""
    try:
        with readonly(path) as db:
            master = {
                str(name): (kind, str(sql or ""))
                for name, kind, sql in db.execute("SELECT name, type, sql FROM sqlite_master")
            }
            contents = [str(n) for (n,) in db.execute("SELECT table_name FROM gpkg_contents")]
            columns = {}
            if "gpkg_geometry_columns" in master:
                columns = {
                    str(t): (str(c), str(g).upper())
                    for t, c, g in db.execute(
                        "SELECT table_name, column_name, geometry_type_name "
                        "FROM gpkg_geometry_columns"
                    )
                }
    except sqlite3.DatabaseError:
        raise refused(filename, IN_FILE, Msg("gpkg.broken"), Msg("gis.export_again")) from None
    virtual = [
        name
        for name, (_, sql) in master.items()
        if sql.upper().lstrip().startswith("CREATE VIRTUAL TABLE")
        and " USING RTREE" not in " ".join(sql.upper().split())
    ]
    if virtual:
        raise refused(filename, IN_FILE, Msg("gpkg.virtual_tables"), Msg("gpkg.export_plain"))
    return {
        name: (*columns[name], master.get(name, ("", ""))[0])
        if name in columns
        else (None, "", master.get(name, ("", ""))[0])
        for name in contents
    }


POLYGONAL = ("POLYGON", "SURFACE")


#: The GeoPackage geometry types of a layer of points or lines (an import into such a layer).
KIND_TYPES = {"polygon": POLYGONAL, "point": ("POINT",), "line": ("LINESTRING", "CURVE")}


def pick_gpkg_layer(filename: str, layers: dict, layer: str | None, kind: str = "polygon") -> str:
    """The layer ``layer`` names, else the only polygon layer (or point/line layer, for
    ``kind``); 422s list what there is."""
    wanted = KIND_TYPES[kind]
    polygons = [n for n, (column, found, _) in layers.items() if column and found.endswith(wanted)]
    available = listing(layers)
    if layer is not None:
        if layer not in layers:
            raise refused(
                filename,
                at_parameter("layer"),
                Msg("layer.unknown", layer=layer[:100], layers=available),
                Msg("layer.pick"),
            )
        if layers[layer][0] is None:
            raise refused(
                filename,
                layer[:100],
                Msg("layer.attribute_table"),
                Msg("layer.with_polygons", layers=listing(polygons)),
            )
        return layer
    if len(polygons) > 1:
        raise refused(
            filename,
            IN_FILE,
            Msg("gpkg.several_polygon_layers", layers=listing(polygons)),
            Msg("layer.pick_one"),
        )
    if not polygons:
        raise refused(
            filename,
            IN_FILE,
            Msg("gpkg.no_polygon_layer", layers=available),
            Msg("gpkg.need_polygons"),
        )
    return polygons[0]


def listing(names) -> Msg | str:
    """Layer or file names from the upload, as a message lists them ("（无）" for none)."""
    names = [str(n)[:100] for n in names][:100]
    return "、".join(names) if names else Msg("layer.none")


def check_gpkg_layer(path: Path, filename: str, layer: str, limits) -> None:
    """The layer is a table (not a view) and holds no more rows than MAX_PARCELS."""
    from geo_service.land.readers.caps import over_cap

    with readonly(path) as db:
        kind = db.execute("SELECT type FROM sqlite_master WHERE name = ?", (layer,)).fetchone()
        if not kind or kind[0] != "table":
            raise refused(filename, layer[:100], Msg("gpkg.view"), Msg("gpkg.export_table"))
        quoted = '"' + layer.replace('"', '""') + '"'
        (rows,) = db.execute(f"SELECT count(*) FROM {quoted}").fetchone()
    if rows > limits.max_parcels:
        raise over_cap(filename, layer, "max_parcels", rows, limits.max_parcels)


def shapefile_vertex_counts(shp: bytes, shx: bytes) -> np.ndarray:
    """Vertices per record from the .shp record headers the .shx points to, before GDAL
    builds anything (0 for null shapes and for records outside the file)."""
    index = np.frombuffer(shx, dtype=">i4", offset=100).reshape(-1, 2)
    starts = index[:, 0].astype(np.int64) * 2 + 8  # record content, after its 8-byte header
    content = np.frombuffer(shp, dtype=np.uint8)
    inside = (starts >= 108) & (starts + 44 <= len(shp))

    def int32_at(offsets: np.ndarray) -> np.ndarray:
        safe = np.where(inside, offsets, 0)
        return content[safe[:, None] + np.arange(4)].copy().view("<i4").ravel()

    shape = int32_at(starts)
    counts = np.where(np.isin(shape, (1, 11, 21)), 1, 0).astype(np.int64)
    multipoint = np.isin(shape, (8, 18, 28))
    lines = np.isin(shape, (3, 5, 13, 15, 23, 25, 31))
    counts = np.where(multipoint, int32_at(starts + 36), counts)
    counts = np.where(lines, int32_at(starts + 40), counts)
    return np.where(inside, np.maximum(counts, 0), 0)


@functools.cache
def _gdal():
    """The libgdal pyogrio uses (its bundled copy, else the system's), or None."""
    folder = Path(pyogrio.__file__).resolve().parent.parent / "pyogrio.libs"
    candidates = sorted(folder.glob("libgdal*")) if folder.is_dir() else []
    name = str(candidates[0]) if candidates else ctypes.util.find_library("gdal")
    if not name:
        return None
    try:
        lib = ctypes.CDLL(name)
        lib.GDALIdentifyDriverEx.restype = ctypes.c_void_p
        lib.GDALIdentifyDriverEx.argtypes = [
            ctypes.c_char_p,
            ctypes.c_uint,
            ctypes.c_void_p,
            ctypes.c_void_p,
        ]
        lib.GDALGetDriverShortName.restype = ctypes.c_char_p
        lib.GDALGetDriverShortName.argtypes = [ctypes.c_void_p]
    except (OSError, AttributeError):
        return None
    return lib


def identified_driver(path: Path) -> str | None:
    """The driver GDAL would open ``path`` with ("" for none; None if it cannot be asked)."""
    lib = _gdal()
    if lib is None:
        return None
    driver = lib.GDALIdentifyDriverEx(str(path).encode(), GDAL_OF_VECTOR, None, None)
    return lib.GDALGetDriverShortName(driver).decode() if driver else ""


def require_driver(path: Path, expected: str, filename: str) -> None:
    """Refuse a file GDAL would open with another driver than the recognised format's."""
    found = identified_driver(path)
    if found is not None and found != expected:
        raise refused(
            filename,
            IN_FILE,
            Msg("gdal.wrong_driver", found=found or Msg("gdal.unknown_driver"), expected=expected),
            Msg("upload.as_exported"),
        )


def gdal_failed(filename: str, driver: str) -> Exception:
    """GDAL's own message may quote the file: the client gets the driver name only."""
    return refused(filename, IN_FILE, Msg("gdal.failed", driver=driver), Msg("gis.export_again"))
