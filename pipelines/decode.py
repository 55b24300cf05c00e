"""Bytes to text for article pages: charset from the HTTP header, the page's own declaration, or
detection, and the checks that decide whether a body is HTML at all.

The one decoding of pages in the project: the crawl (``pipelines.clean``, ``pipelines.dedupe``, from
the body bytes and ``Content-Type`` the spider keeps) and ``newsarchive extract`` (saved files) both
come through :func:`decode_html`, so a page cleans the same either way.

The order follows the HTML standard's encoding sniffing (BOM, transport layer, ``<meta>``), then a
strict UTF-8 attempt (most undeclared pages today are UTF-8), then statistical detection
(charset-normalizer, already a trafilatura dependency) for legacy pages that declare nothing.
"""

from __future__ import annotations

import codecs
import re
import zlib

from charset_normalizer import from_bytes
from w3lib.encoding import html_body_declared_encoding, read_bom, resolve_encoding

# Bodies that are obviously not HTML: images, PDFs, archives. Checked on the first bytes only.
_BINARY_MAGIC = (
    b"%PDF",
    b"\x89PNG",
    b"GIF8",
    b"\xff\xd8\xff",
    b"PK\x03\x04",
    b"\x1f\x8b",
    b"RIFF",
    b"\x00\x00\x01\x00",
    b"OggS",
    b"ID3",
    b"\x7fELF",
)
_MARKUP = re.compile(
    rb"<\s*(?:!doctype\s+html|html|head|body|p|div|article|title|meta)\b", re.IGNORECASE
)
# A body stored still gzip-encoded is expanded to at most this many bytes: a page larger than that
# is not an article (the crawl's CLEAN_MAX_BYTES is smaller), and a gzip bomb stays a small body.
MAX_GUNZIPPED = 32 * 1024 * 1024
_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# The same characters as bytes: in UTF-8 they only ever stand for themselves.
_CONTROL_BYTES = bytes([*range(0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F])


class NotHtml(ValueError):
    """The body is not an HTML document (binary, JSON, plain text without markup)."""


def encoding_from_content_type(content_type: str | bytes | None) -> str | None:
    """The ``charset`` parameter of a ``Content-Type`` header value, if it has one."""
    if not content_type:
        return None
    if isinstance(content_type, bytes):
        content_type = content_type.decode("latin-1")
    match = re.search(r"charset\s*=\s*[\"']?([\w.:-]+)", content_type, re.IGNORECASE)
    return match.group(1) if match else None


def detect_encoding(body: bytes, declared: str | None = None) -> tuple[str, str]:
    """(codec name, where it came from: ``bom|header|meta|utf-8|detected|fallback``)."""
    bom, _ = read_bom(body)
    if bom:
        return bom, "bom"
    for source, name in (("header", declared), ("meta", html_body_declared_encoding(body))):
        codec = resolve_encoding(name) if name else None
        if codec:
            # Pages that say ISO-8859-1 mean windows-1252 (as browsers read them); w3lib maps it.
            return codec, source
    try:
        body.decode("utf-8")
        return "utf-8", "utf-8"
    except UnicodeDecodeError:
        pass
    best = from_bytes(body[:200_000]).best()
    if best is not None and best.encoding:
        try:
            return codecs.lookup(best.encoding).name, "detected"
        except LookupError:  # a name Python does not know: fall back below
            pass
    # windows-1252 decodes every byte, and is what undeclared legacy Western pages are.
    return "cp1252", "fallback"


def gunzip_bounded(data: bytes, limit: int = MAX_GUNZIPPED) -> bytes:
    """``data`` gunzipped; :class:`NotHtml` when it does not decompress or expands past ``limit``
    bytes (never more than ``limit`` bytes are held)."""
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        out = inflater.decompress(data, limit + 1)
    except zlib.error as exc:
        raise NotHtml("gzip data that does not decompress") from exc
    if len(out) > limit:
        raise NotHtml(f"gzip data expanding past {limit} bytes")
    return out


def decode_html(body: bytes, declared: str | None = None) -> tuple[str, str]:
    """Decode an HTML body to text without ever raising on bad bytes; returns (text, codec).

    Raises :class:`NotHtml` for a body that is binary or has no markup at all.
    """
    head = body[:1024].lstrip()
    if head.startswith(b"\x1f\x8b"):
        # A saved ``.html.gz`` or a body stored still gzip-encoded.
        body = gunzip_bounded(body)
        head = body[:1024].lstrip()
    if any(head.startswith(magic) for magic in _BINARY_MAGIC):
        raise NotHtml("binary body")
    codec, _ = detect_encoding(body, declared)
    text = body.decode(codec, errors="replace")
    # NUL and other C0 controls break lxml (it stops parsing at a NUL) and are never article text.
    # A UTF-8 body without those bytes has none of them: bytes.translate checks that in a fraction
    # of a regex scan over the text.
    if codec != "utf-8" or len(body.translate(None, _CONTROL_BYTES)) != len(body):
        text = _CONTROL.sub("", text)
    if not _MARKUP.search(text[:65536].encode("utf-8", "ignore")):
        raise NotHtml("no HTML markup")
    return text, codec


# Where a document starts: its doctype or <html> tag. What a server printed before it (PHP warnings,
# a stray XML declaration, debug output) is not the page; parsers put it in the body or, for an
# XML declaration in a str, refuse the page.
_DOCUMENT_START = re.compile(r"<!doctype\s|<html[\s>]", re.IGNORECASE)
_LEADING_JUNK_MAX = 20_000  # characters: more than that before <html> is content, not a warning


def document_text(text: str) -> str:
    """``text`` from its doctype or ``<html>`` tag on (what a server printed before it dropped),
    without a leading XML declaration when it has neither."""
    match = _DOCUMENT_START.search(text, 0, _LEADING_JUNK_MAX)
    if match is None:
        return _XML_DECLARATION.sub("", text, count=1)
    return text[match.start() :] if match.start() else text


def page_text(page: bytes | str, content_type: str | bytes | None = None) -> tuple[str, str | None]:
    """The text of a fetched page and the codec it was decoded with; raises :class:`NotHtml`.

    ``page`` is the body as fetched (bytes), decoded by :func:`decode_html` with the charset of its
    ``content_type`` header. Text a caller already decoded is used as it is, less the control
    characters :func:`decode_html` drops too; its codec is then None.
    """
    if isinstance(page, bytes):
        return decode_html(page, encoding_from_content_type(content_type))
    return _CONTROL.sub("", page), None
