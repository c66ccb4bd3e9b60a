"""A streaming OpenDocument spreadsheet writer.

odfpy builds the whole document in memory, which breaks the rule that exports stay flat in
memory however many learners there are; ODS is a zip of XML files, so rows are written
straight into content.xml as they come. odfpy reads the result back in the tests.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterable
from decimal import Decimal
from typing import IO, Any
from xml.sax.saxutils import escape, quoteattr

MIMETYPE = "application/vnd.oasis.opendocument.spreadsheet"
NAMESPACES = (
    'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
    'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
    'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" '
    'xmlns:style="urn:oasis:names:tc:opendocument:xmlns:style:1.0" '
    'xmlns:fo="urn:oasis:names:tc:opendocument:xmlns:xsl-fo-compatible:1.0" '
    'xmlns:number="urn:oasis:names:tc:opendocument:xmlns:datastyle:1.0" '
    'office:version="1.2"'
)
MANIFEST = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"'
    ' manifest:version="1.2">'
    f'<manifest:file-entry manifest:full-path="/" manifest:media-type="{MIMETYPE}"/>'
    '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
    '<manifest:file-entry manifest:full-path="styles.xml" manifest:media-type="text/xml"/>'
    "</manifest:manifest>"
)
STYLES = (
    f'<?xml version="1.0" encoding="UTF-8"?>\n<office:document-styles {NAMESPACES}>'
    "<office:styles/></office:document-styles>"
)
# Two decimals for grades, bold for the header row.
AUTOMATIC_STYLES = (
    "<office:automatic-styles>"
    '<number:number-style style:name="N2"><number:number number:decimal-places="2" '
    'number:min-integer-digits="1"/></number:number-style>'
    '<style:style style:name="grade" style:family="table-cell" '
    'style:data-style-name="N2"/>'
    '<style:style style:name="head" style:family="table-cell">'
    '<style:text-properties fo:font-weight="bold"/></style:style>'
    "</office:automatic-styles>"
)
# Characters XML 1.0 forbids; a stray control character must not corrupt the file.
INVALID_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")


def _cell(value: Any, style: str = "") -> str:
    if value is None or value == "":
        return "<table:table-cell/>"
    if isinstance(value, Decimal | int | float) and not isinstance(value, bool):
        attr = ' table:style-name="grade"' if isinstance(value, Decimal) else ""
        return (
            f'<table:table-cell office:value-type="float" office:value="{value}"{attr}>'
            f"<text:p>{value}</text:p></table:table-cell>"
        )
    text = INVALID_XML.sub("", str(value))
    style_attr = f' table:style-name="{style}"' if style else ""
    return (
        f'<table:table-cell office:value-type="string"{style_attr}>'
        f"<text:p>{escape(text)}</text:p></table:table-cell>"
    )


def write_ods(
    fileobj: IO[bytes], sheet: str, header: list[str], rows: Iterable[list[Any]]
) -> None:
    """Write one sheet: a bold header row, then `rows` as they are produced."""
    with zipfile.ZipFile(fileobj, "w", compression=zipfile.ZIP_DEFLATED) as package:
        # The mimetype entry comes first and uncompressed, as the ODF spec requires.
        package.writestr(zipfile.ZipInfo("mimetype"), MIMETYPE, compress_type=zipfile.ZIP_STORED)
        package.writestr("META-INF/manifest.xml", MANIFEST)
        package.writestr("styles.xml", STYLES)
        with package.open("content.xml", "w") as content:
            content.write(
                (
                    f'<?xml version="1.0" encoding="UTF-8"?>\n<office:document-content '
                    f"{NAMESPACES}>{AUTOMATIC_STYLES}<office:body><office:spreadsheet>"
                    f"<table:table table:name={quoteattr(sheet[:31])}>"
                ).encode()
            )
            content.write(
                ("<table:table-row>" + "".join(_cell(h, "head") for h in header)
                 + "</table:table-row>").encode()
            )
            for row in rows:
                content.write(
                    ("<table:table-row>" + "".join(_cell(v) for v in row)
                     + "</table:table-row>").encode()
                )
            content.write(b"</table:table></office:spreadsheet></office:body>"
                          b"</office:document-content>")
