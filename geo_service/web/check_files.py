"""A check's file as an HTTP answer: its one Content-Type and its names (the files themselves
are written by ``land.check_files`` and ``render.report``, listed in ``geo_service.formats``)."""

from __future__ import annotations

from flask import Response

from geo_service.formats import OutputFormat
from geo_service.web.http import file_response, safe_stem


def check_filename(document: dict, extension: str, part: str = "", ascii_part: str = ""):
    """(Chinese name, ASCII fallback) of one of a check's files: 用地检查_<the uploaded file's
    stem, made safe>_<first 8 of the id>[_part].ext and check-<id>[-part].ext."""
    stem = safe_stem(document["input"].get("name") or "")
    name = "_".join(p for p in ("用地检查", stem, document["id"][:8], part) if p)
    fallback = "-".join(p for p in ("check", document["id"], ascii_part) if p)
    return f"{name}.{extension}", f"{fallback}.{extension}"


def check_file(document: dict, fmt: OutputFormat, data) -> Response:
    """A check's file (bytes or chunks) with its format's Content-Type and its names."""
    name, fallback = check_filename(document, fmt.extension, fmt.part, fmt.ascii_part)
    return file_response(data, fmt.media, name, fallback=fallback, inline=fmt.inline)
