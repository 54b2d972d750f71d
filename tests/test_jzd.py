"""界址点坐标 txt: a real GBK file, the local variants, and every malformed case."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyproj
import pytest
import shapely

from geo_service.errors import InputError
from geo_service.land.prepare import prepare_parcels
from geo_service.land.readers import read_parcel_file, sniff
from geo_service.land.readers.jzd import read_jzd
from geo_service.messages import Msg

DATA = Path(__file__).parent / "data" / "jzd"
HEAD = "[属性描述]\n坐标系=2000国家大地坐标系\n几度分带=3\n{zone}[地块坐标]\n"
SQUARE = (
    "5,1.0000,T1,测试,面,,工业用地,0601,@\n"
    "J1,1,{n0},{e0}\nJ2,1,{n0},{e1}\nJ3,1,{n1},{e1}\nJ4,1,{n1},{e0}\nJ1,1,{n0},{e0}\n"
)


def square(prefix: str = "36", zone_line: str = "带号=36\n", swap: bool = False) -> str:
    e0, e1 = f"{prefix}520000.000", f"{prefix}520100.000"
    n0, n1 = "3621000.000", "3621100.000"
    if swap:
        (e0, n0), (e1, n1) = (n0, e0), (n1, e1)
    return HEAD.format(zone=zone_line) + SQUARE.format(e0=e0, e1=e1, n0=n0, n1=n1)


def errors(raw, lang: str = "zh") -> list[str]:
    """Each error as "where：what" in ``lang``."""
    return [
        Msg("problem.plain", where=p.where, message=p.message).text(lang)
        for p in raw.problems
        if p.severity == "error"
    ]


def codes(raw) -> list[str]:
    return [p.message.key for p in raw.problems if p.severity == "error"]


def test_committed_gbk_file_with_two_parcels_and_a_hole():
    data = (DATA / "ankang_gbk.txt").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")  # really GBK
    assert sniff(data) == "jzd"
    raw = read_parcel_file(data, "ankang_gbk.txt")
    assert raw.format == "jzd" and errors(raw) == []
    assert raw.crs == pyproj.CRS.from_epsg(4524)
    assert "带号=36" in raw.crs_note.text() and "EPSG:4524" in raw.crs_note.text()
    assert raw.crs_note.text("en") == (
        "坐标系=2000国家大地坐标系, 带号=36, eastings with the zone prefix → EPSG:4524"
    )
    assert [n.text() for n in raw.notes] == ["文件编码：GB18030 (GBK)"]
    first, second = raw.parcels
    assert (first.parcel_id, second.parcel_id) == ("AK-001", "AK-002")
    assert first.attributes["地块名称"] == "恒口示范区某项目用地"
    assert first.attributes["地块用途"] == "工业用地" and first.attributes["地类编码"] == "0601"
    assert first.declared_area_ha == 1.65 and second.declared_area_ha == 0.5
    assert first.where.text() == "第 13 行（AK-001 恒口示范区某项目用地）"
    assert len(first.rings) == 2 and len(second.rings) == 1
    # columns are (easting, northing): Y first, then X, exactly as written
    assert first.rings[0][1].tolist() == [36520130.0, 3621000.0]
    assert first.rings[1][0].tolist() == [36520040.0, 3621040.0]
    parcels = prepare_parcels(raw)
    polygon = parcels.frame.geometry[0]
    assert len(polygon.interiors) == 1
    area = shapely.area(parcels.frame.geometry.to_crs("EPSG:4545").to_numpy())
    assert area == pytest.approx([130 * 130 - 20 * 20, 100 * 50], abs=0.001)


def test_utf8_with_bom_no_prefix_zone_37():
    text = square(prefix="", zone_line="带号=37\n").replace("520", "420")
    raw = read_jzd(("\ufeff" + text).encode("utf-8"), "z37.txt")
    assert errors(raw) == [] and raw.crs == pyproj.CRS.from_epsg(4546)
    assert [n.text() for n in raw.notes] == ["文件编码：UTF-8"]
    assert [n.text("en") for n in raw.notes] == ["file encoding: UTF-8"]


def test_no_zone_anywhere_needs_a_crs():
    text = square(prefix="", zone_line="")
    raw = read_jzd(text.encode(), "nozone.txt")
    assert raw.crs is None
    assert "jzd.zone_unknown" in codes(raw)
    assert "[属性描述] 节：没有带号，东坐标也没有带号前缀，无法确定 3 度分带" in errors(raw)
    assert any("no 带号" in e for e in errors(raw, "en"))
    given = read_jzd(text.encode(), "nozone.txt", crs_given=pyproj.CRS.from_epsg(4545))
    assert errors(given) == [] and given.crs == pyproj.CRS.from_epsg(4545)


def test_zone_field_and_prefix_must_agree():
    raw = read_jzd(square(prefix="37", zone_line="带号=36\n").encode(), "mismatch.txt")
    assert "[属性描述] 节：带号=36，但东坐标的带号前缀为 37" in errors(raw)
    assert "the [属性描述] section: 带号=36, but the eastings carry the zone prefix 37" in errors(
        raw, "en"
    )


def test_swapped_x_and_y_are_reported_by_line():
    raw = read_jzd(square(swap=True).encode(), "swapped.txt")
    assert errors(raw)[0] == "第 7 行：X 与 Y 似乎颠倒"
    assert errors(raw, "en")[0] == "line 7: X and Y appear swapped"
    assert len(errors(raw)) == 5


def test_xian80_and_a_missing_datum():
    xian = square().replace("2000国家大地坐标系", "西安80坐标系")
    assert read_jzd(xian.encode(), "xian.txt").crs == pyproj.CRS.from_epsg(2360)
    unstated = read_jzd(square().replace("坐标系=2000国家大地坐标系\n", "").encode(), "x.txt")
    assert unstated.crs == pyproj.CRS.from_epsg(4524)
    warnings = [p for p in unstated.problems if p.severity == "warning"]
    assert warnings[0].message.text() == "坐标系未注明，按 CGCS2000 处理"
    assert "CGCS2000 assumed" in warnings[0].message.text("en")
    assert "crs=" in warnings[0].hint.text()


def test_full_width_commas_short_header_and_point_count():
    text = (
        square()
        .replace("J2,1,", "J2，1，")
        .replace("5,1.0000,T1,测试,面,,工业用地,0601,@", "6,1.0000,T1")
    )
    raw = read_jzd(text.encode("gbk"), "variant.txt")
    assert raw.parcels[0].parcel_id == "T1" and raw.parcels[0].attributes.get("地块名称", "") == ""
    assert raw.parcels[0].rings[0].shape == (5, 2)
    # a count that does not match means lost lines: an error, not a shrug
    assert errors(raw) == ["第 6 行（T1）：界址点数为 6，实际有 5 个点"]
    assert errors(raw, "en") == ["line 6 (T1): 界址点数 says 6 points, 5 follow"]


def test_points_before_a_header_and_a_header_without_points():
    text = HEAD.format(zone="带号=36\n") + "J1,1,3621000,36520000\n3,0.1,EMPTY,空,面,@\n"
    raw = read_jzd(text.encode(), "broken.txt")
    assert errors(raw) == [
        "第 6 行：界址点出现在地块属性行之前",
        "第 7 行（EMPTY 空）：地块属性行之后没有界址点",
    ]
    assert codes(raw) == ["jzd.point_before_header", "jzd.header_without_points"]


def test_unclosed_ring_is_reported_not_fixed():
    text = square().rsplit("J1,1,", 1)[0]
    raw = read_jzd(text.encode(), "open.txt")
    assert np.array_equal(raw.parcels[0].rings[0][0], [36520000.0, 3621000.0])
    with pytest.raises(InputError) as caught:
        prepare_parcels(raw)
    messages = [p["message"] for p in caught.value.details["problems"]]
    assert "环未闭合：末点与首点（36520000.000, 3621000.000）不同" in messages, messages
    assert "ring.not_closed" in [p["code"] for p in caught.value.details["problems"]]


@pytest.mark.parametrize(
    "data",
    [
        b"[\xe5\x9c\xb0\xe5\x9d\x97\xe5\x9d\x90\xe6\xa0\x87]\nnan,1,x,y\n",
        "[地块坐标]\nJ1,1,inf,36520000\n".encode(),
    ],
)
def test_garbage_lines_are_problems_not_crashes(data):
    raw = read_jzd(data, "garbage.txt")
    assert errors(raw)


def test_no_coordinates_section():
    with pytest.raises(InputError, match="缺少 \\[地块坐标\\] 节"):
        read_jzd("[属性描述]\n带号=36\n".encode(), "empty.txt")
