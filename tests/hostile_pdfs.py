"""Hostile PDFs, written byte by byte for the tests (no tool could be trusted to make them):
each reproduces a file that once gave `leaflet check` a traceback or an endless read."""

from __future__ import annotations

import zlib


def raw_pdf(objects: list[bytes], trailer: bytes = b"") -> bytes:
    out = bytearray(b"%PDF-1.7\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R %s >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, trailer, xref)
    return bytes(out)

def stream(data: bytes, extra: bytes = b"") -> bytes:
    return b"<< /Length %d %s >>\nstream\n" % (len(data), extra) + data + b"\nendstream"

FONT = b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"

def pages_pdf(content: bytes, pages: int = 1, content_extra=b"") -> bytes:
    kids = b" ".join(b"%d 0 R" % (5 + n) for n in range(pages))
    objs = [b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [%s] /Count %d >>" % (kids, pages),
            stream(content, content_extra), FONT]
    for _ in range(pages):
        objs.append(b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 3 0 R "
                    b"/Resources << /Font << /F1 4 0 R >> >> >>")
    return raw_pdf(objs)

def aes_encrypted() -> bytes:
    objs = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >>",
            stream(b"0123456789abcdef0123456789abcdef"),
            b"<< /Filter /Standard /V 4 /R 4 /Length 128 /CF << /StdCF << /AuthEvent /DocOpen /CFM /AESV2 /Length 16 >> >>"
            b" /StmF /StdCF /StrF /StdCF /O <" + b"00" * 32 + b"> /U <" + b"00" * 32 + b"> /P -4 >>"]
    return raw_pdf(objs, b"/Encrypt 5 0 R /ID [<00112233445566778899aabbccddeeff> <00112233445566778899aabbccddeeff>]")

def jbig2() -> bytes:
    return pages_pdf(b"\x97JB2\r\n\x1a\n\x01\x00\x00\x00\x01", content_extra=b"/Filter /JBIG2Decode")

def parent_cycle() -> bytes:
    objs = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 /Parent 6 0 R >>",
            b"<< /Type /Page /Parent 2 0 R /Contents 4 0 R >>", stream(b"BT /F1 12 Tf (x) Tj ET"), FONT,
            b"<< /Type /Pages /Kids [2 0 R] /Count 1 /Parent 2 0 R >>"]
    return raw_pdf(objs)

def shared_stream(operators: int, pages: int) -> bytes:
    data = zlib.compress(b"BT /F1 12 Tf " + b"1 0 0 1 10 10 Tm (a) Tj " * (operators // 2) + b"ET", 9)
    return pages_pdf(data, pages, content_extra=b"/Filter /FlateDecode")


def huge_string(megabytes: int) -> bytes:
    """One text string of many megabytes, compressed to a few kilobytes."""
    data = zlib.compress(b"BT /F1 12 Tf (" + b"a" * (megabytes << 20) + b") Tj ET", 9)
    return pages_pdf(data, content_extra=b"/Filter /FlateDecode")
