"""Times as a bureau reads them: stored as UTC ISO text, shown in the configured TIME_ZONE.

One place for the zone's name and the display form, used by the report, the check page (its
summary and register, through the page's configuration), the XLSX 说明 sheet and snapshots:
``2026-12-01 17:52:03（北京时间 UTC+8）``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DEFAULT_TIME_ZONE = "Asia/Shanghai"
#: Chinese names of the zones a bureau in China is likely to configure.
ZONE_NAMES = {
    "Asia/Shanghai": "北京时间",
    "Asia/Chongqing": "北京时间",
    "Asia/Urumqi": "乌鲁木齐时间",
    "UTC": "协调世界时",
    "Etc/UTC": "协调世界时",
}


def time_zone(name: str) -> ZoneInfo:
    """The zone named ``name`` (an IANA name such as Asia/Shanghai); ValueError if unknown."""
    try:
        return ZoneInfo(str(name))
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise ValueError(f"unknown time zone {name!r}") from error


def offset_text(moment: datetime) -> str:
    """``UTC+8``, ``UTC+5:30``, ``UTC`` for a zone-aware moment."""
    offset = moment.utcoffset()
    minutes = int(offset.total_seconds() // 60) if offset else 0
    if minutes == 0:
        return "UTC"
    sign = "+" if minutes > 0 else "-"
    hours, rest = divmod(abs(minutes), 60)
    return f"UTC{sign}{hours}" + (f":{rest:02d}" if rest else "")


def zone_label(name: str, moment: datetime | None = None) -> str:
    """``北京时间 UTC+8``: the zone in words and its offset (at ``moment``, default now)."""
    zone = time_zone(name)
    local = (moment or datetime.now(UTC)).astimezone(zone)
    return f"{ZONE_NAMES.get(name, name)} {offset_text(local)}"


def parse_utc(iso: str) -> datetime | None:
    """A stored time (ISO 8601; naive text is UTC) as an aware datetime, None if unreadable."""
    try:
        moment = datetime.fromisoformat(str(iso))
    except (TypeError, ValueError):
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def local_time(iso: str | None, name: str = DEFAULT_TIME_ZONE, with_zone: bool = True) -> str:
    """``2026-12-01 17:52:03（北京时间 UTC+8）`` from stored UTC text; "—" when there is none."""
    moment = parse_utc(iso) if iso else None
    if moment is None:
        return "—"
    local = moment.astimezone(time_zone(name))
    text = local.strftime("%Y-%m-%d %H:%M:%S")
    return f"{text}（{zone_label(name, moment)}）" if with_zone else text


def local_date(iso: str | None, name: str = DEFAULT_TIME_ZONE) -> str:
    """``2026-12-01``: the local date of a stored time ("—" when there is none)."""
    moment = parse_utc(iso) if iso else None
    return moment.astimezone(time_zone(name)).strftime("%Y-%m-%d") if moment else "—"
