"""Reading a PDF's tags back (pypdf): the structure tree in order, with each element's text.

`leaflet check` uses it to report an untagged or mis-tagged leaflet: text drawn neither
as tagged content nor as an Artifact, headings at the wrong level, and lines missing
from the structure tree or out of reading order.
"""

from __future__ import annotations

from dataclasses import dataclass

from pypdf import PdfReader
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, NumberObject

HEADINGS = {"H", "H1", "H2", "H3", "H4", "H5", "H6"}
#: Elements inside a line of text (a link in a paragraph): read as part of their parent's text.
INLINE = {"Link", "Span"}


@dataclass(frozen=True)
class Element:
    """One structure element: its standard role, depth in the tree and its own text."""

    role: str
    depth: int
    text: str


@dataclass(frozen=True)
class Tags:
    """What a PDF says about its structure."""

    marked: bool  # /MarkInfo /Marked true
    elements: list[Element]  # in reading (tree) order; empty when there is no tree
    #: Text drawn outside marked content and outside Artifacts (page number, text).
    untagged: list[tuple[int, str]]


def _resolve(value):
    return value.get_object() if isinstance(value, IndirectObject) else value


def page_texts(reader: PdfReader) -> tuple[list[dict[int, str]], list[tuple[int, str]]]:
    """Per page, the text of each MCID; and text drawn neither tagged nor as an Artifact."""
    by_page: list[dict[int, str]] = []
    untagged: list[tuple[int, str]] = []
    for number, page in enumerate(reader.pages, start=1):
        texts: dict[int, str] = {}
        stack: list[object] = []  # per open marked-content sequence: its MCID, "artifact" or None

        def before(operator: bytes, operands, _cm, _tm) -> None:
            if operator in (b"BDC", b"BMC"):
                tag = operands[0] if operands else None
                properties = operands[1] if operator == b"BDC" and len(operands) > 1 else None
                if tag == "/Artifact":
                    stack.append("artifact")
                elif isinstance(properties, DictionaryObject) and "/MCID" in properties:
                    stack.append(int(properties["/MCID"]))
                else:
                    stack.append(None)
            elif operator == b"EMC" and stack:
                stack.pop()

        def text(value: str, *_args) -> None:
            if not value.strip():
                return
            if "artifact" in stack:
                return
            mcid = next((item for item in reversed(stack) if isinstance(item, int)), None)
            if mcid is None:
                untagged.append((number, value))
            else:
                texts[mcid] = texts.get(mcid, "") + value

        page.extract_text(visitor_operand_before=before, visitor_text=text)
        by_page.append(texts)
    return by_page, untagged


def read_tags(reader: PdfReader) -> Tags:
    root = reader.trailer["/Root"]
    mark_info = _resolve(root.get("/MarkInfo"))
    marked = bool(mark_info and mark_info.get("/Marked"))
    texts, untagged = page_texts(reader)
    tree = _resolve(root.get("/StructTreeRoot"))
    if tree is None:
        return Tags(marked, [], untagged)
    role_map = _resolve(tree.get("/RoleMap")) or {}
    page_index = {page.indirect_reference.idnum: index for index, page in enumerate(reader.pages)}
    elements: list[Element] = []

    def page_of(node, inherited: int | None) -> int | None:
        pg = node.get("/Pg")
        if isinstance(pg, IndirectObject):
            return page_index.get(pg.idnum, inherited)
        return inherited

    def role_of(node) -> str:
        role = str(node.get("/S", "/"))[1:]
        return str(role_map.get("/" + role, "/" + role))[1:]

    def walk(node, depth: int, page: int | None, own: list[str] | None = None) -> None:
        """Add `node` to the elements; an inline node (`own` given) adds its text there."""
        node = _resolve(node)
        page = page_of(node, page)
        role = role_of(node)
        inline = own is not None
        own = own if inline else []
        kids = _resolve(node.get("/K"))
        kids = kids if isinstance(kids, ArrayObject) else [kids] if kids is not None else []
        children = []
        for kid in kids:
            kid = _resolve(kid)
            if isinstance(kid, NumberObject) or isinstance(kid, int):
                own.append(texts[page].get(int(kid), "") if page is not None else "")
            elif isinstance(kid, DictionaryObject) and kid.get("/Type") == "/MCR":
                at = page_of(kid, page)
                own.append(texts[at].get(int(kid["/MCID"]), "") if at is not None else "")
            elif isinstance(kid, DictionaryObject) and kid.get("/Type") == "/OBJR":
                continue  # an annotation (a link's): no text of its own
            elif isinstance(kid, DictionaryObject) and role_of(kid) in INLINE:
                walk(kid, depth + 1, page, own)
            elif isinstance(kid, DictionaryObject):
                children.append(kid)
        if inline:
            return
        elements.append(Element(role, depth, " ".join(own)))
        for child in children:
            walk(child, depth + 1, page)

    top = _resolve(tree.get("/K"))
    for node in top if isinstance(top, ArrayObject) else [top] if top is not None else []:
        walk(node, 0, None)
    return Tags(marked, elements, untagged)
