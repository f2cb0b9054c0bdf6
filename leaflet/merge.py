"""One print-ready PDF from many leaflets, streamed from disk in constant memory.

`leaflet batch --merge` uses this. pypdf parses each leaflet; its pages and everything
they use are written straight to the output with renumbered objects, so memory holds
only one leaflet plus a table of offsets, whatever the number of leaflets (pypdf's own
PdfWriter keeps every object of every input in memory until the end).

Every leaflet starts on an odd (right-hand) page: a blank page of the same size is put
after a leaflet with an odd page count, so duplex printing never puts two patients on
one sheet. Each leaflet gets one bookmark pointing at its first page, holding its own
section bookmarks. All leaflets must be on one paper size: a printer file that mixes
A4 and Letter is refused.

The merged file stays a tagged PDF (PDF/UA-1) when every leaflet in it is tagged: each
leaflet's structure tree becomes a Part (with the leaflet's own /Lang) of one Document,
its pages' StructParents and ParentTree entries are renumbered, and the catalog keeps
/MarkInfo, /Lang, the displayed title and an XMP packet.
"""

from __future__ import annotations

import hashlib
import io
import re
from array import array
from collections import deque
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import BinaryIO

from pypdf import PdfReader
from pypdf.errors import PyPdfError
from pypdf.generic import (
    ArrayObject,
    DictionaryObject,
    IndirectObject,
    NameObject,
    PdfObject,
    StreamObject,
    TextStringObject,
)

from .errors import LeafletError
from .pdfmeta import Claims, Described, xmp_packet
from .write import AtomicFile

_CATALOG, _PAGES, _OUTLINES, _INFO, _STRUCT_ROOT, _DOCUMENT, _PARENT_TREE, _METADATA = range(1, 9)
#: The merged PDF's /Creator: how a re-run knows the printer file is its own to replace.
MERGE_CREATOR = "leaflet batch"

_INHERITED = ("/Resources", "/MediaBox", "/CropBox", "/Rotate")


class _Out:
    """The output file: objects are numbered as they are allocated, placed as written."""

    def __init__(self, stream: BinaryIO) -> None:
        self.stream = stream
        self.offsets = array("Q", [0] * (_METADATA + 1))  # index = object number; 0 is unused
        stream.write(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")

    def allocate(self) -> int:
        self.offsets.append(0)
        return len(self.offsets) - 1

    def begin(self, number: int) -> None:
        self.offsets[number] = self.stream.tell()
        self.stream.write(b"%d 0 obj\n" % number)

    def end(self) -> None:
        self.stream.write(b"\nendobj\n")

    def raw(self, number: int, body: bytes) -> None:
        self.begin(number)
        self.stream.write(body)
        self.end()


class _Copier:
    """Copies the objects one leaflet's pages use, renumbered, into the output."""

    def __init__(self, out: _Out, page_numbers: dict[tuple[int, int], int]) -> None:
        self.out = out
        self.pages = page_numbers  # source page reference -> its new number
        self.numbers: dict[tuple[int, int], int] = {}
        self.queue: deque[tuple[int, PdfObject]] = deque()
        #: Added to an annotation's /StructParent: its ParentTree key in the merged file.
        self.key_offset = 0

    def ref(self, reference: IndirectObject) -> bytes:
        key = (reference.idnum, reference.generation)
        if key in self.pages:
            return b"%d 0 R" % self.pages[key]
        if key not in self.numbers:
            target = reference.get_object()
            kind = target.get("/Type") if isinstance(target, DictionaryObject) else None
            if kind in ("/Pages", "/Catalog", "/Page"):
                return b"null"  # never drag another page tree (or a page not copied) along
            self.numbers[key] = self.out.allocate()
            self.queue.append((self.numbers[key], target))
        return b"%d 0 R" % self.numbers[key]

    def write_value(self, value: PdfObject) -> None:
        stream = self.out.stream
        if isinstance(value, IndirectObject):
            stream.write(self.ref(value))
        elif isinstance(value, StreamObject):
            # The stream's bytes exactly as stored (still compressed); get_data() would decode.
            data = value._data  # noqa: SLF001
            self.write_dict(value, {"/Length": str(len(data)).encode()})
            stream.write(b"\nstream\n")
            stream.write(data)
            stream.write(b"\nendstream")
        elif isinstance(value, DictionaryObject):
            key = value.get("/StructParent") if value.get("/Type") == "/Annot" else None
            self.write_dict(value, {} if key is None else {"/StructParent": b"%d" % (self.key_offset + int(key))})
        elif isinstance(value, ArrayObject):
            stream.write(b"[")
            for index, item in enumerate(value):
                if index:
                    stream.write(b" ")
                self.write_value(item)
            stream.write(b"]")
        else:
            value.write_to_stream(stream)

    def write_dict(self, value: DictionaryObject, replace: dict[str, bytes]) -> None:
        stream = self.out.stream
        stream.write(b"<<")
        for key, item in value.items():
            if key in replace:
                continue
            NameObject(key).write_to_stream(stream)
            stream.write(b" ")
            self.write_value(item)
            stream.write(b"\n")
        for key, raw in replace.items():
            NameObject(key).write_to_stream(stream)
            stream.write(b" " + raw + b"\n")
        stream.write(b">>")

    def drain(self) -> None:
        while self.queue:
            number, target = self.queue.popleft()
            self.out.begin(number)
            self.write_value(target)
            self.out.end()


def _inherited(page: DictionaryObject, key: str) -> PdfObject | None:
    node: DictionaryObject | None = page
    for _ in range(64):  # a page tree deeper than this is broken
        if node is None:
            return None
        if key in node:
            return node[key]
        parent = node.get("/Parent")
        node = parent.get_object() if parent is not None else None
    return None


def _box(page: DictionaryObject) -> bytes:
    box = _inherited(page, "/MediaBox")
    values = [float(v) for v in box.get_object()] if box is not None else [0, 0, 595.2756, 841.8898]
    return b"[" + b" ".join(b"%g" % v for v in values) + b"]"


def merge(leaflets: Iterable[tuple[Path, str]], target: Path, title: str,
          should_stop: Callable[[], bool] = lambda: False) -> tuple[int, int]:
    """Merge (pdf file, bookmark title) pairs into target, atomically.

    Returns (leaflets, pages). Nothing is written when there are no leaflets. Raises
    LeafletError for an unreadable input or an unwritable target, and stops (removing
    the partial file) when should_stop() turns true.
    """
    target = Path(target)
    try:
        with AtomicFile(target) as out:
            count, pages = _merge_into(out.stream, leaflets, title, should_stop)
            if count and not should_stop():
                out.commit()
        return count, pages
    except OSError as exc:
        raise LeafletError(f"{target}: cannot write the merged PDF ({exc.strerror})") from None


def _merge_into(stream: BinaryIO, leaflets: Iterable[tuple[Path, str]], title: str,
                should_stop: Callable[[], bool]) -> tuple[int, int]:
    out = _Out(stream)
    kids = array("Q")
    # Outline items are written as soon as the next one's number is known, so the
    # bookmarks never pile up in memory: (number, title, first page, previous number).
    first_item = last_item = 0
    held: tuple[int, str, int, int] | None = None
    count = 0
    last_box = b""
    paper: tuple[bytes, str] | None = None  # the first leaflet's page size, and its bookmark
    tags = _Tags()
    identity = hashlib.sha256(title.encode("utf-8"))
    for path, mark in leaflets:
        if should_stop():
            return count, len(kids)
        try:
            reader = PdfReader(path)
            source_pages = list(reader.pages)
        except (OSError, PyPdfError, ValueError) as exc:
            raise LeafletError(f"{path}: cannot read it to merge ({exc})") from None
        if not source_pages:
            continue
        box = _box(source_pages[0])
        if paper is None:
            paper = (box, mark)
        elif box != paper[0]:
            raise LeafletError(f"{mark} is on another paper size ({_paper(box)}) than {paper[1]} "
                               f"({_paper(paper[0])}); one printer file holds one paper size: run one "
                               "batch per page size")
        identity.update(_first_id(reader) or path.name.encode("utf-8", "surrogateescape"))
        if len(kids) % 2:  # the previous leaflet ended on a right-hand page: give it a blank back
            blank = out.allocate()
            out.raw(blank, b"<< /Type /Page /Parent %d 0 R /MediaBox %s /Resources << >> >>"
                    % (_PAGES, last_box))
            kids.append(blank)
        numbers = {(p.indirect_reference.idnum, p.indirect_reference.generation): out.allocate()
                   for p in source_pages}
        copier = _Copier(out, numbers)
        first_key = copier.key_offset = tags.next_key
        for page in source_pages:
            key = (page.indirect_reference.idnum, page.indirect_reference.generation)
            out.begin(numbers[key])
            stream.write(b"<<")
            for name in _INHERITED:
                if name not in page:
                    value = _inherited(page, name)
                    if value is not None:
                        NameObject(name).write_to_stream(stream)
                        stream.write(b" ")
                        copier.write_value(value)
                        stream.write(b"\n")
            for name, value in page.items():
                if name == "/Parent":
                    continue
                if name == "/StructParents":  # renumbered into the merged ParentTree
                    stream.write(b"/StructParents %d\n" % (first_key + int(value)))
                    continue
                NameObject(name).write_to_stream(stream)
                stream.write(b" ")
                copier.write_value(value)
                stream.write(b"\n")
            stream.write(b"/Parent %d 0 R>>" % _PAGES)
            out.end()
            copier.drain()
            kids.append(numbers[key])
        tags.add(reader, copier, mark, len(source_pages))
        sections = _copy_sections(reader, out, numbers)
        first = source_pages[0].indirect_reference
        item = out.allocate()
        if held is not None:
            _outline_item(out, *held, following=item)
        else:
            first_item = item
        held = (item, mark, numbers[(first.idnum, first.generation)], last_item, sections)
        last_item = item
        count += 1
        last_box = _box(source_pages[-1])
    if held is None:
        return 0, 0
    _outline_item(out, *held, following=0)

    out.raw(_PAGES, b"<< /Type /Pages /Count %d /Kids [%s] >>"
            % (len(kids), b" ".join(b"%d 0 R" % kid for kid in kids)))
    out.raw(_OUTLINES, b"<< /Type /Outlines /First %d 0 R /Last %d 0 R /Count %d >>"
            % (first_item, last_item, count))
    tagged = tags.finish(out)
    catalog = b"<< /Type /Catalog /Pages %d 0 R /Outlines %d 0 R /PageMode /UseOutlines" % (_PAGES, _OUTLINES)
    catalog += b" /ViewerPreferences << /DisplayDocTitle true >> /Metadata %d 0 R" % _METADATA
    if tags.lang:
        catalog += b" /Lang " + _text(tags.lang)
    if tagged:
        catalog += b" /MarkInfo << /Marked true >> /StructTreeRoot %d 0 R" % _STRUCT_ROOT
    out.raw(_CATALOG, catalog + b" >>")
    out.begin(_INFO)
    stream.write(b"<< /Title " + _text(title))
    stream.write(b" /Creator (" + MERGE_CREATOR.encode("ascii") + b") /Producer (leaflet) >>")
    out.end()
    packet = xmp_packet(Described(title, producer="leaflet", creator=MERGE_CREATOR), tags.lang,
                        Claims(pdfua=tagged))
    out.raw(_METADATA, b"<< /Type /Metadata /Subtype /XML /Length %d >>\nstream\n" % len(packet)
            + packet + b"\nendstream")

    xref = stream.tell()
    stream.write(b"xref\n0 %d\n0000000000 65535 f \n" % len(out.offsets))
    for number in range(1, len(out.offsets)):
        stream.write(b"%010d 00000 n \n" % out.offsets[number])
    identity = identity.hexdigest()[:32].encode()  # from the leaflets' own IDs, in order
    stream.write(b"trailer\n<< /Size %d /Root %d 0 R /Info %d 0 R /ID [<%s> <%s>] >>\nstartxref\n%d\n%%%%EOF\n"
                 % (len(out.offsets), _CATALOG, _INFO, identity, identity, xref))
    return count, len(kids)


def _outline_item(out: _Out, number: int, title: str, page: int, previous: int,
                  sections: tuple[int, int, int], following: int) -> None:
    """One leaflet's bookmark; `sections` is (first, last, count) of its own, shown closed."""
    stream = out.stream
    out.begin(number)
    stream.write(b"<< /Title " + _text(title))
    stream.write(b" /Parent %d 0 R /Dest [%d 0 R /Fit]" % (_OUTLINES, page))
    if previous:
        stream.write(b" /Prev %d 0 R" % previous)
    if following:
        stream.write(b" /Next %d 0 R" % following)
    first, last, count = sections
    if count:
        stream.write(b" /First %d 0 R /Last %d 0 R /Count %d" % (first, last, -count))
    stream.write(b" >>")
    out.end()


def _copy_sections(reader: PdfReader, out: _Out, pages: dict[tuple[int, int], int]) -> tuple[int, int, int]:
    """A leaflet's own (one-level) bookmarks, under the bookmark to be numbered next.

    Returns (first, last, count) of the copies; the parent's number is the next one
    allocated after them.
    """
    items = []
    outlines = reader.trailer["/Root"].get("/Outlines")
    node = outlines.get_object().get("/First") if outlines is not None else None
    while node is not None and len(items) < 1000:
        node = node.get_object()
        dest = node.get("/Dest")
        if isinstance(dest, ArrayObject) and dest and isinstance(dest[0], IndirectObject):
            page = pages.get((dest[0].idnum, dest[0].generation))
            if page is not None:
                items.append((str(node.get("/Title", "")), page))
        node = node.get("/Next")
    if not items:
        return 0, 0, 0
    numbers = [out.allocate() for _ in items]
    parent = len(out.offsets)  # the leaflet's own bookmark, allocated next
    for index, ((title, page), number) in enumerate(zip(items, numbers)):
        body = b"<< /Title " + _text(title) + b" /Parent %d 0 R /Dest [%d 0 R /Fit]" % (parent, page)
        if index:
            body += b" /Prev %d 0 R" % numbers[index - 1]
        if index < len(items) - 1:
            body += b" /Next %d 0 R" % numbers[index + 1]
        out.raw(number, body + b" >>")
    return numbers[0], numbers[-1], len(items)


def _first_id(reader: PdfReader) -> bytes:
    ids = reader.trailer.get("/ID")
    if not isinstance(ids, ArrayObject) or not ids:
        return b""
    value = ids[0]
    return value.original_bytes if hasattr(value, "original_bytes") else bytes(str(value), "utf-8")


_REFERENCE = re.compile(rb"(?<![\d.])(\d+) (\d+) R\b")
_OBJECT = re.compile(rb"\s*(\d+)\s+0\s+obj\b")
_NUMS = re.compile(rb"(\d+)\s*\[([^\[\]]*)\]")


def _raw_object(reader: PdfReader, idnum: int) -> bytes | None:
    """An object's body as stored (not a stream), or None when it is not simply there."""
    offset = reader.xref.get(0, {}).get(idnum)
    if not offset:
        return None
    reader.stream.seek(offset)
    data = reader.stream.read(1024)
    end = data.find(b"endobj")
    while end < 0 and len(data) < 65536:  # a long one: read on
        more = reader.stream.read(len(data))
        if not more:
            break
        data += more
        end = data.find(b"endobj")
    match = _OBJECT.match(data)
    if not match or int(match[1]) != idnum or end < 0:
        return None
    body = data[match.end():end].strip()
    return None if b"stream" in body or b"(" in body or b"<" not in body else body


def _raw_tree(reader: PdfReader, tree_ref, top, parent_tree_ref):
    """The bodies of a leaflet's structure elements and its ParentTree entries, read as
    bytes: (bodies by object number, [(key, [element references])]); None if the file
    is not laid out simply enough (then its objects are copied through pypdf)."""
    if not all(isinstance(ref, IndirectObject) and ref.generation == 0 for ref in (tree_ref, top, parent_tree_ref)):
        return None
    bodies: dict[int, bytes] = {}
    waiting = [top.idnum]
    pages = {page.indirect_reference.idnum for page in reader.pages}
    while waiting:
        idnum = waiting.pop()
        if idnum in bodies:
            continue
        body = _raw_object(reader, idnum)
        if body is None or b"/StructElem" not in body or len(bodies) > 100_000:
            return None
        bodies[idnum] = body
        for match in _REFERENCE.finditer(body):
            ref = int(match[1])
            if int(match[2]) != 0:
                return None
            if ref not in pages and ref != tree_ref.idnum and ref not in bodies:
                waiting.append(ref)
    body = _raw_object(reader, parent_tree_ref.idnum)
    if body is None or b"/Kids" in body or b"/Nums" not in body:
        return None
    entries = []
    for key, refs in _NUMS.findall(body):
        found = [(int(m[1]), int(m[2])) for m in _REFERENCE.finditer(refs)]
        if any(ref[0] not in bodies for ref in found):
            return None
        entries.append((int(key), found))
    return bodies, entries


def _text(value: str) -> bytes:
    buffer = io.BytesIO()
    TextStringObject(value).write_to_stream(buffer)
    return buffer.getvalue()


def _paper(box: bytes) -> str:
    width, height = (float(v) for v in box.strip(b"[]").split()[2:4])
    for name, (w, h) in (("A4", (595.28, 841.89)), ("Letter", (612, 792))):
        if abs(width - w) < 1 and abs(height - h) < 1:
            return name
    return f"{width:g} x {height:g} pt"


class _Tags:
    """The merged structure tree: a Part per tagged leaflet under one Document."""

    def __init__(self) -> None:
        self.next_key = 0  # the next StructParents number
        self.parts = array("Q")
        self.parent_tree: list[tuple[int, int]] = []  # (key, number of the copied array)
        self.role_map: dict[str, str] = {}
        self.lang: str | None = None
        self.all_tagged = True

    def add(self, reader: PdfReader, copier: _Copier, mark: str, pages: int) -> None:
        root = reader.trailer["/Root"]
        lang = root.get("/Lang")
        if self.lang is None and lang is not None:
            self.lang = str(lang)
        tree = root.get("/StructTreeRoot")
        tree = tree.get_object() if tree is not None else None
        top = tree.get("/K") if tree is not None else None
        parent_tree = tree.get("/ParentTree") if tree is not None else None
        if not isinstance(top, IndirectObject) or parent_tree is None:
            self.all_tagged = False
            self.next_key += pages
            return
        for role, standard in (tree.get("/RoleMap") or {}).items():
            self.role_map[str(role)] = str(standard)
        tree_ref = root.raw_get("/StructTreeRoot")
        raw = _raw_tree(reader, tree_ref, top, tree.raw_get("/ParentTree"))
        if raw is not None:  # leaflet's own trees: copied as bytes, renumbered (pypdf parsing is slow)
            part = self._copy_raw(raw, copier, tree_ref, top, mark, lang)
        else:
            nums = parent_tree.get_object().get("/Nums")
            if nums is None:
                self.all_tagged = False
                self.next_key += pages
                return
            part = self._copy_parsed(copier, top, nums, mark, lang)
        self.parts.append(part)
        # the pages' keys, then its annotations' (links'), if any
        self.next_key += max(pages, int(tree.get("/ParentTreeNextKey", 0)))

    def _copy_parsed(self, copier: _Copier, top: IndirectObject, nums, mark: str, lang) -> int:
        out, stream = copier.out, copier.out.stream
        part = out.allocate()
        copier.numbers[(top.idnum, top.generation)] = part  # the leaflet's Document becomes this Part
        document = top.get_object()
        out.begin(part)
        stream.write(b"<< /Type /StructElem /S /Part /P %d 0 R /T " % _DOCUMENT + _text(mark))
        if lang is not None:
            stream.write(b" /Lang " + _text(str(lang)))
        if "/K" in document:
            stream.write(b" /K ")
            copier.write_value(document["/K"])
        stream.write(b" >>")
        out.end()
        nums = nums.get_object()
        for key, entry in zip(nums[0::2], nums[1::2]):
            if isinstance(entry, IndirectObject) and isinstance(entry.get_object(), DictionaryObject):
                copier.ref(entry)  # an annotation's entry: its one element (a link's)
                number = copier.numbers[(entry.idnum, entry.generation)]
            else:  # a page's entry: the array of its marked content's elements
                number = out.allocate()
                out.begin(number)
                copier.write_value(entry)
                out.end()
            self.parent_tree.append((self.next_key + int(key), number))
        copier.drain()
        return part

    def _copy_raw(self, raw: tuple[dict[int, bytes], list[tuple[int, list[tuple[int, int]]]]],
                  copier: _Copier, tree_ref: IndirectObject, top: IndirectObject, mark: str, lang) -> int:
        bodies, parent_tree = raw
        out = copier.out
        numbers = dict(copier.pages)
        numbers[(tree_ref.idnum, tree_ref.generation)] = _DOCUMENT  # only the Document's /P names it
        part = numbers[(top.idnum, top.generation)] = out.allocate()
        for idnum in bodies:
            if (idnum, 0) not in numbers:
                numbers[(idnum, 0)] = out.allocate()

        def renumber(match: re.Match) -> bytes:
            key = (int(match[1]), int(match[2]))
            if key not in numbers:
                numbers[key] = out.allocate()
            return b"%d 0 R" % numbers[key]

        for idnum, body in bodies.items():
            body = _REFERENCE.sub(renumber, body)
            if idnum == top.idnum:
                body = body.replace(b"/S /Document", b"/S /Part", 1).rstrip()[:-2] + b" /T " + _text(mark)
                body += (b" /Lang " + _text(str(lang)) if lang is not None else b"") + b" >>"
            out.raw(numbers[(idnum, 0)], body)
        for key, refs in parent_tree:
            number = out.allocate()
            out.raw(number, b"[" + b" ".join(b"%d 0 R" % numbers[ref] for ref in refs) + b"]")
            self.parent_tree.append((self.next_key + key, number))
        return part

    def finish(self, out: _Out) -> bool:
        """Write the Document, the ParentTree and the StructTreeRoot; whether all are tagged."""
        out.raw(_DOCUMENT, b"<< /Type /StructElem /S /Document /P %d 0 R /K [%s] >>"
                % (_STRUCT_ROOT, b" ".join(b"%d 0 R" % part for part in self.parts)))
        out.raw(_PARENT_TREE, b"<< /Nums [%s] >>"
                % b" ".join(b"%d %d 0 R" % entry for entry in self.parent_tree))
        role_map = b"".join(b" %s %s" % (role.encode("ascii"), standard.encode("ascii"))
                            for role, standard in self.role_map.items())
        out.raw(_STRUCT_ROOT, b"<< /Type /StructTreeRoot /K %d 0 R /ParentTree %d 0 R /ParentTreeNextKey %d%s >>"
                % (_DOCUMENT, _PARENT_TREE, self.next_key,
                   b" /RoleMap <<" + role_map + b" >>" if role_map else b""))
        return self.all_tagged and bool(self.parts)
