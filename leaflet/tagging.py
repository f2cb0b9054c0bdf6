"""Tagged PDF (PDF/UA-1): each flowable tags itself as it draws; the canvas records it.

Every flowable that paints content carries a `Node`, its structure element (H1, P, LI,
TD...). As it draws, it wraps what it paints in marked content (`/P <</MCID 3>> BDC ...
EMC`) through the canvas's `Recorder`; page furniture and decoration (running header and
footer, rules, box fills and borders, table grids) are wrapped as Artifacts. When the
pages are written, the recorder turns what it saw into the structure tree, the ParentTree
and each page's StructParents, with ReportLab's own PDF objects: nothing reads the bytes
back or guesses structure afterwards.

A new kind of content needs no code here: a paragraph takes its role from its paragraph
style (`style.role`, default P; a bulleted style's LI gets its Lbl and LBody), a container
(a box, a table) gives its parts a parent node, and the recorder places each node in the
tree the first time it draws, in the container it is drawn in; list items drawn one after
another in the same container make one list (L).

A link in a paragraph (`link_markup`) is a Link element inside the paragraph's element,
between Spans holding the text around it: its text is its own marked content (opened and closed inside the paragraph's text object
by two zero-width `<ondraw>` callbacks), and each link annotation ReportLab makes for it
(one per line the address runs over) is an OBJR kid of the Link, with /StructParent,
/Contents and the print flag (/F 4, which PDF/A asks for).
"""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Iterator

from html import escape  # not xml.sax.saxutils: it imports urllib, http and ssl

from reportlab.pdfbase.pdfdoc import PDFDictionary, PDFName, PDFObject, PDFString

#: Structure types that are not in PDF 1.7's standard set, and the standard type each maps to.
ROLE_MAP = {"Aside": "Sect"}


@dataclass(eq=False, slots=True)
class Node:
    """One structure element. `parent` None: the element it is drawn inside (or Document)."""

    role: str
    parent: Node | None = None
    #: Attribute dictionary, e.g. {"O": "Table", "Scope": "Column"} for a column header.
    attributes: dict[str, str] | None = None
    #: Alternative text (images) or expansion; written as /Alt.
    alt: str | None = None
    #: In drawing order: child Nodes and (page index, MCID) marked-content references.
    kids: list = field(default_factory=list)
    placed: bool = False
    #: A list item's label (Lbl, the bullet) and body (LBody), see `list_item`.
    label_body: tuple[Node, Node] | None = None
    #: A Link's description of where it goes, its annotations' /Contents.
    contents: str | None = None


@dataclass(eq=False, slots=True)
class Annotation:
    """A Link element's kid: the annotation ReportLab named `name` on page `page`."""

    name: str
    page: int
    #: Its /StructParent, a ParentTree key given when the tree is written.
    struct_parent: _Raw


class Recorder:
    """Kept by the canvas: marked content as it is drawn, per page, and the tree it makes."""

    def __init__(self) -> None:
        self.root = Node("Document", placed=True)
        self.groups: list[Node] = [self.root]
        self.page = 0
        #: Per page, the node of each MCID in order (the page's ParentTree entry).
        self.marks: list[list[Node]] = [[]]
        self.in_artifact = 0
        #: While a list item draws: the nodes for its text objects (label, then body).
        self.text_nodes: list[Node] | None = None
        #: While a paragraph with links draws: its node and its Link nodes by address.
        self.inline: tuple[Node, dict[str, Node]] | None = None
        self.annotations: list[tuple[Node, Annotation]] = []

    def next_page(self) -> None:
        self.page += 1
        self.marks.append([])

    # --- what flowables call while they draw ----------------------------------------

    def begin(self, code: list[str], node: Node) -> bool:
        """Open marked content for `node` (not inside an artifact: then it is decoration)."""
        if self.in_artifact:
            return False
        if node.role == "Figure" and not node.alt:  # PDF/UA: no image without its alternative text
            raise ValueError("a Figure was drawn without alternative text (Node.alt)")
        self._place(node)
        page_marks = self.marks[self.page]
        mcid = len(page_marks)
        page_marks.append(node)
        node.kids.append((self.page, mcid))
        code.append(f"/{node.role} <</MCID {mcid}>> BDC")
        return True

    @staticmethod
    def end(code: list[str]) -> None:
        code.append("EMC")

    @contextmanager
    def group(self, node: Node) -> Iterator[None]:
        """Nodes drawn inside (and without a parent of their own) become `node`'s children."""
        self._place(node)
        self.groups.append(node)
        try:
            yield
        finally:
            self.groups.pop()

    @contextmanager
    def artifact(self, code: list[str], kind: str | None = None) -> Iterator[None]:
        """What is drawn inside is decoration or page furniture, not content."""
        self.begin_artifact(code, kind)
        try:
            yield
        finally:
            self.end_artifact(code)

    def begin_artifact(self, code: list[str], kind: str | None = None) -> None:
        if not self.in_artifact:
            code.append(f"/Artifact <</Type /{kind}>> BDC" if kind else "/Artifact BMC")
        self.in_artifact += 1

    def end_artifact(self, code: list[str]) -> None:
        self.in_artifact -= 1
        if not self.in_artifact:
            code.append("EMC")

    def _place(self, node: Node) -> None:
        if node.placed:
            return
        if node.parent is None:
            node.parent = self.groups[-1]
            if node.role == "LI":  # list items drawn one after another in a container: one list
                kids = node.parent.kids
                if not (kids and isinstance(kids[-1], Node) and kids[-1].role == "L"):
                    self._place(Node("L", parent=node.parent))
                node.parent = kids[-1]
        self._place(node.parent)
        node.parent.kids.append(node)
        node.placed = True

    # --- writing the tree -----------------------------------------------------------

    def write(self, doc, pages: list[tuple[str, object]]) -> None:
        """Add the structure tree to ReportLab's document `doc`.

        `pages` is each written page's internal name and PDFPage object, in order. The
        elements are written as ready-made bytes (ReportLab has numbered every object it
        is given by now): formatting some seventy small dictionaries through ReportLab's
        generic PDFDictionary cost more than all the rest of tagging.
        """
        numbers = doc.idToObjectNumberAndVersion
        page_numbers = [numbers[name][0] for name, _ in pages]
        for index, (_, page) in enumerate(pages):
            page.__NoDefault__ = [*page.__NoDefault__, "StructParents"]
            page.StructParents = index
        order: list[Node] = []
        stack = [self.root]
        while stack:  # depth first, in reading order
            node = stack.pop()
            order.append(node)
            stack.extend(reversed([kid for kid in node.kids if isinstance(kid, Node)]))
        tree_root = _Raw()
        tree_number = numbers[doc.Reference(tree_root).name][0]
        raws = [_Raw() for _ in order]
        number = {id(node): numbers[doc.Reference(raw).name][0] for node, raw in zip(order, raws)}
        for node, raw in zip(order, raws):
            parent = tree_number if node is self.root else number[id(node.parent)]
            parts = [b"<< /Type /StructElem /S /%s /P %d 0 R" % (node.role.encode("ascii"), parent)]
            first_page = next((kid[0] for kid in node.kids if isinstance(kid, tuple)), None)
            page = first_page if first_page is not None or node is self.root else _first_page(node)
            if page is not None:  # a group gets the page where it starts, for readers' page maps
                parts.append(b" /Pg %d 0 R" % page_numbers[page])
            kids = []
            for kid in node.kids:
                if isinstance(kid, Node):
                    kids.append(b"%d 0 R" % number[id(kid)])
                elif isinstance(kid, Annotation):
                    kids.append(b"<< /Type /OBJR /Obj %d 0 R /Pg %d 0 R >>"
                                % (numbers[doc.refAnnotation(kid.name).name][0], page_numbers[kid.page]))
                elif kid[0] == first_page:
                    kids.append(b"%d" % kid[1])
                else:
                    kids.append(b"<< /Type /MCR /Pg %d 0 R /MCID %d >>" % (page_numbers[kid[0]], kid[1]))
            if kids:
                parts.append(b" /K " + (kids[0] if len(kids) == 1 else b"[" + b" ".join(kids) + b"]"))
            if node.attributes:
                parts.append(b" /A <<" + b"".join(b" /%s /%s" % (k.encode("ascii"), v.encode("ascii"))
                                                   for k, v in node.attributes.items()) + b" >>")
            if node.alt:
                parts.append(b" /Alt " + PDFString(node.alt).format(doc))
            parts.append(b" >>")
            raw.data = b"".join(parts)
        nums = b" ".join(b"%d [%s]" % (index, b" ".join(b"%d 0 R" % number[id(node)] for node in page_marks))
                         for index, page_marks in enumerate(self.marks[:len(pages)]))
        next_key = len(pages)
        for node, annotation in self.annotations:  # each annotation's key, after the pages'
            annotation.struct_parent.data = b"%d" % next_key
            nums += b" %d %d 0 R" % (next_key, number[id(node)])
            next_key += 1
        for page_index in {annotation.page for _, annotation in self.annotations}:
            page = pages[page_index][1]  # PDF/UA: a page with annotations tabs in structure order
            page.__NoDefault__ = [*page.__NoDefault__, "Tabs"]
            page.Tabs = PDFName("S")
        parent_tree = _Raw(b"<< /Nums [" + nums + b"] >>")
        used = {node.role for node in order}
        role_map = b"".join(b" /%s /%s" % (role.encode("ascii"), standard.encode("ascii"))
                            for role, standard in ROLE_MAP.items() if role in used)
        tree_root.data = (b"<< /Type /StructTreeRoot /K %d 0 R /ParentTree %d 0 R /ParentTreeNextKey %d"
                          % (number[id(self.root)], numbers[doc.Reference(parent_tree).name][0], next_key)
                          + (b" /RoleMap <<" + role_map + b" >>" if role_map else b"") + b" >>")
        doc.Catalog.StructTreeRoot = doc.Reference(tree_root)
        doc.Catalog.MarkInfo = PDFDictionary({"Marked": "true"})


class _Raw(PDFObject):
    """A PDF object written as the bytes it holds."""

    def __init__(self, data: bytes = b"") -> None:
        self.data = data

    def format(self, document) -> bytes:
        return self.data


def _first_page(node: Node) -> int | None:
    for kid in node.kids:
        if isinstance(kid, Annotation):
            continue
        found = kid[0] if isinstance(kid, tuple) else _first_page(kid)
        if found is not None:
            return found
    return None


# --- The flowable side --------------------------------------------------------------


def recorder(canvas) -> Recorder | None:
    return getattr(canvas, "tags", None)


class Tagged:
    """Mixin for a flowable that draws one structure element's content.

    Its parts after a split across pages keep the same node, so a paragraph that runs
    onto the next page is still one P.
    """

    node: Node | None = None

    def drawOn(self, canvas, x, y, _sW=0):
        tags = recorder(canvas)
        if tags is None or self.node is None:
            return super().drawOn(canvas, x, y, _sW)
        if self.node.label_body is not None:  # a list item: the bullet is its label, the text its body
            label, body = self.node.label_body
            tags.text_nodes = [label, body] if getattr(self, "bulletText", None) else [body]
            try:
                return super().drawOn(canvas, x, y, _sW)
            finally:
                tags.text_nodes = None
        links = getattr(self, "links", None)
        if links and not tags.in_artifact:  # marked inside its text object, see TaggingCanvasMixin
            tags.inline = (self.node, links)
            try:
                return super().drawOn(canvas, x, y, _sW)
            finally:
                tags.inline = None
        opened = tags.begin(canvas._code, self.node)
        try:
            return super().drawOn(canvas, x, y, _sW)
        finally:
            if opened:
                tags.end(canvas._code)

    def split(self, availWidth, availHeight):
        parts = super().split(availWidth, availHeight)
        for part in parts:
            part.node = self.node
            if getattr(self, "links", None):
                part.links = self.links
        return parts


_LINK_CALLBACK = "leaflet_link"


def link_markup(url: str, contents: str) -> tuple[str, Node]:
    """Paragraph markup for `url` printed as a link, and its Link node (`contents`: the
    annotation's description). Give the paragraph a `links` dict {url: node}."""
    href = escape(url, quote=False).replace('"', "&quot;")
    return (f'<a href="{href}"><ondraw name="{_LINK_CALLBACK}" label="start {href}"/>{escape(url, quote=False)}'
            f'<ondraw name="{_LINK_CALLBACK}" label="end {href}"/></a>', Node("Link", contents=contents))


@contextmanager
def artifact(canvas, kind: str | None = None) -> Iterator[None]:
    """Decoration drawn inside is marked as an Artifact (nothing happens without a recorder)."""
    tags = recorder(canvas)
    if tags is None:
        yield
        return
    with tags.artifact(canvas._code, kind):
        yield


@contextmanager
def group(canvas, node: Node | None) -> Iterator[None]:
    """Nodes drawn inside become children of `node` unless they name a parent."""
    tags = recorder(canvas)
    if tags is None or node is None:
        yield
        return
    with tags.group(node):
        yield


class TableTags:
    """A ReportLab Table's render callback: its grid and fills are Artifacts, and so is
    a header row repeated at the top of a later page (its cells were read already).

    It is passed on to the parts of a table split across pages, as ReportLab does.
    """

    def __init__(self) -> None:
        self._repeated_row = False

    def __call__(self, table, event: str, *args) -> None:
        tags = recorder(table.canv)
        if tags is None:
            return
        code = table.canv._code
        if event in ("startBG", "startLines"):
            tags.begin_artifact(code)
        elif event in ("endBG", "endLines"):
            tags.end_artifact(code)
        elif event == "startRow":
            first = table._cellvalues[args[0]][0]
            if isinstance(first, (list, tuple)):  # ReportLab holds flowable cells in a tuple
                first = first[0] if first else None
            row = getattr(first, "node", None)
            self._repeated_row = bool(row is not None and row.parent is not None and row.parent.placed)
            if self._repeated_row:
                tags.begin_artifact(code)
        elif event == "endRow" and self._repeated_row:
            tags.end_artifact(code)
            self._repeated_row = False


def list_item(node: Node) -> Node:
    """Give a list item node (LI) its label (Lbl, the bullet) and body (LBody) children."""
    node.label_body = (Node("Lbl", parent=node), Node("LBody", parent=node))
    return node


class TaggingCanvasMixin:
    """For the canvas: text objects of a list item are marked one by one (label, body); a
    paragraph with links is marked inside its text object, its links as Link elements."""

    def beginText(self, *args, **kwargs):
        textobject = super().beginText(*args, **kwargs)
        tags: Recorder | None = getattr(self, "tags", None)
        if tags is not None and tags.inline is not None:
            textobject._tagged = tags.begin(textobject._code, Node("Span", parent=tags.inline[0]))
        return textobject

    def getNamedCB(self, name):
        if name == _LINK_CALLBACK:
            return self._link_edge
        return super().getNamedCB(name)

    def _link_edge(self, canvas, kind, label) -> None:
        """At the start of a link's text (label "start ADDRESS") its Link's marked content
        opens; at its end ("end ADDRESS") a Span of the paragraph's. (The paragraph holds
        only elements, Span, Link, Span: checkers that read an element's own content
        before its children's then get the reading order right.)"""
        tags: Recorder | None = getattr(self, "tags", None)
        textobject = self._curr_tx_info["tx"]
        if tags is None or tags.inline is None or not getattr(textobject, "_tagged", False):
            return
        node, links = tags.inline
        code = textobject._code
        tags.end(code)
        edge, _, url = label.partition(" ")
        tags.begin(code, links[url] if edge == "start" else Node("Span", parent=node))

    def linkURL(self, url, rect, relative=0, thickness=0, color=None, dashArray=None, kind="URI", **kw):
        tags: Recorder | None = getattr(self, "tags", None)
        link = tags.inline[1].get(url) if tags is not None and tags.inline is not None else None
        if link is None:
            return super().linkURL(url, rect, relative, thickness, color, dashArray, kind, **kw)
        struct_parent = _Raw()
        kw.update(StructParent=struct_parent, Contents=PDFString(link.contents or url), F=4)
        super().linkURL(url, rect, relative, thickness, color, dashArray, kind, **kw)
        annotation = Annotation(f"NUMBER{self._annotationCount}", tags.page, struct_parent)
        link.kids.append(annotation)
        tags.annotations.append((link, annotation))

    def drawText(self, textobject):
        tags: Recorder | None = getattr(self, "tags", None)
        if getattr(textobject, "_tagged", False):
            textobject._tagged = False
            tags.end(textobject._code)
        nodes = tags.text_nodes if tags is not None else None
        if not nodes:
            return super().drawText(textobject)
        node = nodes.pop(0) if len(nodes) > 1 else nodes[0]
        opened = tags.begin(self._code, node)
        super().drawText(textobject)
        if opened:
            tags.end(self._code)
