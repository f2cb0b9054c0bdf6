"""Document metadata: the XMP packet, the document ID and the PDF/A output intent.

PDF/UA-1 asks for the title in XMP (dc:title) and the claim `pdfuaid:part 1`; PDF/A-2
asks for the same facts in XMP as in the Info dictionary, its own claim (pdfaid) and
the declaration of any schema it does not know (pdfuaid). Everything here is written
with ReportLab's own PDF objects, when the canvas saves.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from html import escape  # not xml.sax.saxutils: it imports urllib, http and ssl

from reportlab.pdfbase.pdfdoc import PDFArray, PDFDictionary, PDFName, PDFStream, PDFString, PDFText, PDFZCompress

#: The PDF/A level written by --pdfa: 2a (tagged, which every leaflet is) or 2b.
PDFA_PART = 2


@dataclass(frozen=True)
class Claims:
    """Which standards a PDF says it meets (in XMP)."""

    pdfua: bool = True
    pdfa: str | None = None  # "A" or "B": PDF/A-2a or PDF/A-2b


def document_id(*parts: str) -> bytes:
    """A trailer /ID from what decides the PDF: different inputs, different IDs; same, same."""
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part.encode("utf-8", "surrogatepass"))
        digest.update(b"\0")
    return digest.digest()[:16]


def set_document_id(doc, digest: bytes) -> None:
    """Give ReportLab's document this /ID (both halves: the file is never updated in place)."""
    from reportlab.pdfbase.pdfdoc import DummyDoc

    text = PDFText(digest, enc="raw").format(DummyDoc())
    doc._ID = b"\n[" + text + text + b"]\n"


def _xmp_date(doc) -> str:
    stamp = doc._timeStamp
    y, mo, d, h, mi, s = stamp.YMDhms
    sign = "+" if stamp.dhh >= 0 else "-"
    return f"{y:04d}-{mo:02d}-{d:02d}T{h:02d}:{mi:02d}:{s:02d}{sign}{abs(stamp.dhh):02d}:{stamp.dmm:02d}"


_PDFUA_SCHEMA = """<pdfaExtension:schemas><rdf:Bag><rdf:li rdf:parseType="Resource">
<pdfaSchema:schema>PDF/UA Universal Accessibility Schema</pdfaSchema:schema>
<pdfaSchema:namespaceURI>http://www.aiim.org/pdfua/ns/id/</pdfaSchema:namespaceURI>
<pdfaSchema:prefix>pdfuaid</pdfaSchema:prefix>
<pdfaSchema:property><rdf:Seq><rdf:li rdf:parseType="Resource">
<pdfaProperty:name>part</pdfaProperty:name>
<pdfaProperty:valueType>Integer</pdfaProperty:valueType>
<pdfaProperty:category>internal</pdfaProperty:category>
<pdfaProperty:description>Indicates, which part of ISO 14289 standard is followed</pdfaProperty:description>
</rdf:li></rdf:Seq></pdfaSchema:property>
</rdf:li></rdf:Bag></pdfaExtension:schemas>
"""


@dataclass(frozen=True)
class Described:
    """What the Info dictionary says, to be said again in XMP (PDF/A wants them equal)."""

    title: str
    author: str = ""
    subject: str = ""
    keywords: str = ""
    producer: str = ""
    creator: str = ""
    date: str | None = None  # XMP form, e.g. 2024-02-01T00:00:00+00:00


def described(doc) -> Described:
    """The Info values of ReportLab document `doc`."""
    info = doc.info
    return Described(info.title, info.author or "", info.subject or "", info.keywords or "", info.producer,
                     info.creator, _xmp_date(doc))


def xmp_packet(info: Described, lang: str | None, claims: Claims) -> bytes:
    """The XMP packet that repeats `info` and claims the standards in `claims`."""
    date = info.date

    def alt(value: str) -> str:
        return f'<rdf:Alt><rdf:li xml:lang="x-default">{escape(value, quote=False)}</rdf:li></rdf:Alt>'

    parts = [
        '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>\n',
        '<x:xmpmeta xmlns:x="adobe:ns:meta/">\n<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">\n',
        '<rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/" '
        'xmlns:pdf="http://ns.adobe.com/pdf/1.3/" xmlns:xmp="http://ns.adobe.com/xap/1.0/"'
        + (' xmlns:pdfuaid="http://www.aiim.org/pdfua/ns/id/"' if claims.pdfua else "")
        + (' xmlns:pdfaid="http://www.aiim.org/pdfa/ns/id/"' if claims.pdfa else "")
        + (' xmlns:pdfaExtension="http://www.aiim.org/pdfa/ns/extension/"'
           ' xmlns:pdfaSchema="http://www.aiim.org/pdfa/ns/schema#"'
           ' xmlns:pdfaProperty="http://www.aiim.org/pdfa/ns/property#"' if claims.pdfa and claims.pdfua else "")
        + ">\n",
        "<dc:format>application/pdf</dc:format>\n",
        f"<dc:title>{alt(info.title)}</dc:title>\n",
    ]
    if info.author:
        author = escape(info.author, quote=False)
        parts.append(f"<dc:creator><rdf:Seq><rdf:li>{author}</rdf:li></rdf:Seq></dc:creator>\n")
    if info.subject:
        parts.append(f"<dc:description>{alt(info.subject)}</dc:description>\n")
    if lang:
        parts.append(f"<dc:language><rdf:Bag><rdf:li>{escape(lang, quote=False)}</rdf:li></rdf:Bag></dc:language>\n")
    for element, value in (("pdf:Keywords", info.keywords), ("pdf:Producer", info.producer),
                           ("xmp:CreatorTool", info.creator)):
        if value:
            parts.append(f"<{element}>{escape(value, quote=False)}</{element}>\n")
    if date:
        parts.append(f"<xmp:CreateDate>{date}</xmp:CreateDate>\n<xmp:ModifyDate>{date}</xmp:ModifyDate>\n")
    if claims.pdfua:
        parts.append("<pdfuaid:part>1</pdfuaid:part>\n")
    if claims.pdfa:
        parts.append(f"<pdfaid:part>{PDFA_PART}</pdfaid:part>\n<pdfaid:conformance>{claims.pdfa}</pdfaid:conformance>\n")
        if claims.pdfua:
            parts.append(_PDFUA_SCHEMA)
    parts += ["</rdf:Description>\n</rdf:RDF>\n</x:xmpmeta>\n", '<?xpacket end="w"?>']
    return "".join(parts).encode("utf-8")


#: sRGB IEC61966-2.1 as an ICC v2 profile made by Little CMS ("no copyright, use freely",
#: as the profile itself says); the copy pikepdf ships for PDF/A output intents.
SRGB_PROFILE = Path(__file__).with_name("data") / "sRGB.icc"


@cache
def _srgb() -> bytes:
    return SRGB_PROFILE.read_bytes()


def add_output_intent(doc) -> None:
    """PDF/A: say the colours are sRGB, with the profile embedded."""
    profile = PDFStream(PDFDictionary({"N": 3}), content=_srgb(), filters=[PDFZCompress])
    intent = PDFDictionary({
        "Type": PDFName("OutputIntent"),
        "S": PDFName("GTS_PDFA1"),
        "OutputConditionIdentifier": PDFString("sRGB IEC61966-2.1"),
        "Info": PDFString("sRGB IEC61966-2.1"),
        "RegistryName": PDFString("http://www.color.org"),
        "DestOutputProfile": doc.Reference(profile),
    })
    catalog = doc.Catalog
    catalog.__NoDefault__ = [*catalog.__NoDefault__, "OutputIntents"]
    catalog.OutputIntents = PDFArray([doc.Reference(intent)])


def add_metadata(doc, lang: str | None, claims: Claims) -> None:
    """Attach the XMP packet to the catalog, uncompressed (PDF/A wants it readable)."""
    stream = PDFStream(PDFDictionary({"Type": PDFName("Metadata"), "Subtype": PDFName("XML")}),
                       content=xmp_packet(described(doc), lang, claims))  # no filter: the document sets none
    doc.Catalog.Metadata = stream
