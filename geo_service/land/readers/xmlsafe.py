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

from geo_service.land.model import Problem, input_error

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


def decode_xml(data: bytes, filename: str, where: str = "file") -> str:
    """The document as text, BOM and declaration honoured; a 422 when it does not decode."""
    name = xml_encoding(data)
    try:
        codec = codecs.lookup(name).name
        text = data.decode(codec)
    except LookupError:
        raise input_error(
            filename,
            [
                Problem(
                    where,
                    f"未知的 XML 编码 {name[:40]!r} (unknown XML encoding)",
                    "请以 UTF-8 保存 (save as UTF-8)",
                )
            ],
        ) from None
    except UnicodeDecodeError as exc:
        raise input_error(
            filename,
            [
                Problem(
                    where,
                    f"XML 文本不是有效的 {codec} 编码（第 {exc.start} 字节）"
                    f"(not valid {codec} at byte {exc.start})",
                    "请以 UTF-8 保存 (save as UTF-8)",
                )
            ],
        ) from None
    return text.lstrip("\ufeff")


def refuse_dtd(text: str, filename: str, where: str = "file") -> None:
    """No DOCTYPE/ENTITY (or other DTD) declarations: KML and XLSX need none."""
    found = DTD.search(text)
    if found:
        line = text.count("\n", 0, found.start()) + 1
        raise input_error(
            filename,
            [
                Problem(
                    f"{where}, line {line}" if where != "file" else f"line {line}",
                    f"XML 含 {found.group(1).upper()} 声明（DTD/实体），出于安全原因拒绝 "
                    f"(XML with a DOCTYPE/ENTITY declaration: refused)",
                    "请删除 DTD 声明；KML 与 XLSX 都不需要 (remove the DTD)",
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
                    f"line {exc.position[0]}",
                    f"不是有效的 XML (not valid XML: {exc.msg if hasattr(exc, 'msg') else exc})",
                    "请重新导出为 KML (export the file again as KML)",
                )
            ],
        ) from None
    except defusedxml.DefusedXmlException:
        raise input_error(
            filename,
            [
                Problem(
                    "file",
                    "XML 含 DTD、实体或外部引用，出于安全原因拒绝 "
                    "(DTD, entity or external reference: refused)",
                    "请删除 DTD 声明 (remove the DTD)",
                )
            ],
        ) from None
