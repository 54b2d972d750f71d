"""XML from uploads (KML, the parts of an XLSX): decoded first, DTDs refused, then parsed.

The encoding comes from the byte-order mark or the XML declaration, so a UTF-16 or UTF-32
document cannot hide ``<!ENTITY`` from the check. Parsing goes through defusedxml, which
refuses DTDs, entities and external references a second time.
"""

from __future__ import annotations

import codecs
import re
from xml.etree.ElementTree import Element, ParseError

import defusedxml
import defusedxml.ElementTree as DET

from geo_service.land.model import IN_FILE, Problem, at_line, input_error
from geo_service.messages import Msg

BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
DECLARATION = re.compile(rb"""^<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._-]+)["']""")
DECLARATION_TEXT = re.compile(r"^\s*<\?xml[^>]*\?>")
DTD = re.compile(r"<!\s*(DOCTYPE|ENTITY|ELEMENT|ATTLIST|NOTATION)", re.I)


def xml_encoding(data: bytes) -> str:
    """The document's encoding: byte-order mark, else UTF-16/32 by its first '<', else the
    XML declaration, else UTF-8."""
    for bom, name in BOMS:
        if data.startswith(bom):
            return name
    for start, name in (
        (b"<\x00\x00\x00", "utf-32-le"),
        (b"\x00\x00\x00<", "utf-32-be"),
        (b"<\x00", "utf-16-le"),
        (b"\x00<", "utf-16-be"),
    ):
        if data.startswith(start):
            return name
    declared = DECLARATION.match(data.lstrip())
    return declared.group(1).decode("ascii").lower() if declared else "utf-8"


def decode_xml(data: bytes, filename: str, where=IN_FILE) -> str:
    """The document as text, BOM and declaration honoured; a 422 when it does not decode."""
    name = xml_encoding(data)
    try:
        codec = codecs.lookup(name).name
        text = data.decode(codec)
    except LookupError:
        raise input_error(
            filename,
            [Problem(where, Msg("xml.unknown_encoding", encoding=name[:40]), Msg("xml.save_utf8"))],
        ) from None
    except UnicodeDecodeError as exc:
        raise input_error(
            filename,
            [
                Problem(
                    where,
                    Msg("xml.bad_encoding", codec=codec, byte=exc.start),
                    Msg("xml.save_utf8"),
                )
            ],
        ) from None
    return text.lstrip("\ufeff")


def refuse_dtd(text: str, filename: str, where=IN_FILE) -> None:
    """No DOCTYPE/ENTITY (or other DTD) declarations: KML and XLSX need none."""
    found = DTD.search(text)
    if found:
        line = text.count("\n", 0, found.start()) + 1
        raise input_error(
            filename,
            [
                Problem(
                    at_line(line)
                    if where == IN_FILE
                    else Msg("where.member_line", member=where, line=line),
                    Msg("xml.dtd", kind=found.group(1).upper()),
                    Msg("xml.remove_dtd"),
                )
            ],
        )


def parse_xml(data: bytes, filename: str) -> Element:
    """Decode, refuse DTDs, parse with defusedxml; 422 with the line for broken XML."""
    text = decode_xml(data, filename)
    refuse_dtd(text, filename)
    body = DECLARATION_TEXT.sub("", text, count=1).encode("utf-8")
    try:
        return DET.fromstring(body, forbid_dtd=True)
    except ParseError as exc:
        raise input_error(
            filename,
            [
                Problem(
                    at_line(exc.position[0]),
                    Msg("xml.invalid", error=str(getattr(exc, "msg", exc))[:200]),
                    Msg("kml.export_again"),
                )
            ],
        ) from None
    except defusedxml.DefusedXmlException:
        raise input_error(
            filename,
            [Problem(IN_FILE, Msg("xml.dtd_refused"), Msg("xml.remove_dtd"))],
        ) from None
