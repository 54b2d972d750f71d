"""Spreadsheet cells that never become formulas (OWASP "CSV injection").

One rule for every CSV and XLSX the service writes:

- CSV: a text cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return gets a
  leading apostrophe, so Excel, WPS and LibreOffice show it as text instead of running it;
  the rest of the text is kept as is. Numbers stay numbers (``-1.5`` is not text).
- XLSX: text is stored as a string cell (openpyxl ``data_type`` ``"s"``), never as a formula,
  whatever it starts with; numbers, booleans and dates keep their type.
"""

from __future__ import annotations

from collections.abc import Iterable
from numbers import Number

from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value):
    """``value`` for a CSV cell: text that a spreadsheet would run gets a leading ``'``."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def safe_row(values: Iterable) -> list:
    """A CSV row with :func:`safe_cell` applied to every cell."""
    return [safe_cell(v) for v in values]


def xlsx_cell(sheet, value):
    """A cell for ``sheet.append`` (write-only or normal sheets): text always a string cell."""
    if value is None or isinstance(value, Number | bool):
        return value
    if not isinstance(value, str):
        return value  # dates and times keep their type
    # control characters XML 1.0 cannot hold become U+FFFD, so the file can always be written
    cell = WriteOnlyCell(sheet, ILLEGAL_CHARACTERS_RE.sub("\ufffd", value))
    cell.data_type = "s"
    return cell


def xlsx_row(sheet, values: Iterable) -> list:
    """A row for ``sheet.append`` with every text cell forced to a string cell."""
    return [xlsx_cell(sheet, v) for v in values]
