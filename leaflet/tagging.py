"""Tagged PDF (PDF/UA-1): each flowable tags itself as it draws; the canvas records it.

Every flowable that paints content carries a `Node`, its structure element (H1, P, LI,
TD...). As it draws, it wraps what it paints in marked content (`/P <</MCID 3>> BDC ...
EMC`) through the canvas's `Recorder`; page furniture and decoration (running header and
footer, rules, box fills and borders, table grids) are wrapped as Artifacts. When the
pages are written, the recorder turns what it saw into the structure tree, the ParentTree
and each page's StructParents, with ReportLab's own PDF objects: nothing reads the bytes
back or guesses structure afterwards.

A new kind of content needs no code here: a paragraph takes its role from its paragraph
style (`style.role`, default P), a container (a box, a table, a list) gives its parts a
parent node, and the recorder places each node in the tree the first time it draws.
"""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Iterator

from reportlab.pdfbase.pdfdoc import PDFArray, PDFDictionary, PDFName, PDFObjectReference, PDFString

#: Structure types that are not in PDF 1.7's standard set, and the standard type each maps to.
ROLE_MAP = {"Aside": "Sect"}


@dataclass(eq=False)
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

    def next_page(self) -> None:
        self.page += 1
        self.marks.append([])

    # --- what flowables call while they draw ----------------------------------------

    def begin(self, code: list[str], node: Node) -> bool:
        """Open marked content for `node` (not inside an artifact: then it is decoration)."""
        if self.in_artifact:
            return False
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
        self._place(node.parent)
        node.parent.kids.append(node)
        node.placed = True

    # --- writing the tree -----------------------------------------------------------

    def write(self, doc, pages: list[tuple[str, object]]) -> None:
        """Add the structure tree to ReportLab's document `doc`.

        `pages` is each written page's internal name and PDFPage object, in order.
        """
        page_refs = [PDFObjectReference(name) for name, _ in pages]
        for index, (_, page) in enumerate(pages):
            page.__NoDefault__ = [*page.__NoDefault__, "StructParents"]
            page.StructParents = index
        dicts: dict[int, PDFDictionary] = {}
        refs: dict[int, PDFObjectReference] = {}
        order: list[Node] = []

        def register(node: Node) -> None:
            made = PDFDictionary({"Type": PDFName("StructElem"), "S": PDFName(node.role)})
            dicts[id(node)] = made
            refs[id(node)] = doc.Reference(made)
            order.append(node)
            for kid in node.kids:
                if isinstance(kid, Node):
                    register(kid)

        tree_root = PDFDictionary({"Type": PDFName("StructTreeRoot")})
        tree_ref = doc.Reference(tree_root)
        register(self.root)
        for node in order:
            made = dicts[id(node)].dict
            made["P"] = tree_ref if node is self.root else refs[id(node.parent)]
            first_page = next((kid[0] for kid in node.kids if isinstance(kid, tuple)), None)
            if first_page is not None:
                made["Pg"] = page_refs[first_page]
            elif node is not self.root and _first_page(node) is not None:
                made["Pg"] = page_refs[_first_page(node)]  # where a group starts, for readers' page maps
            kids = []
            for kid in node.kids:
                if isinstance(kid, Node):
                    kids.append(refs[id(kid)])
                elif kid[0] == first_page:
                    kids.append(kid[1])
                else:
                    kids.append(PDFDictionary({"Type": PDFName("MCR"), "Pg": page_refs[kid[0]], "MCID": kid[1]}))
            made["K"] = kids[0] if len(kids) == 1 else PDFArray(kids)
            if node.attributes:
                made["A"] = PDFDictionary({k: PDFName(v) for k, v in node.attributes.items()})
            if node.alt:
                made["Alt"] = PDFString(node.alt)
        nums = []
        for index, page_marks in enumerate(self.marks[:len(pages)]):
            nums += [index, PDFArray([refs[id(node)] for node in page_marks])]
        tree_root.dict.update({
            "K": refs[id(self.root)],
            "ParentTree": doc.Reference(PDFDictionary({"Nums": PDFArray(nums)})),
            "ParentTreeNextKey": len(pages),
        })
        used = {node.role for node in order}
        role_map = {role: PDFName(standard) for role, standard in ROLE_MAP.items() if role in used}
        if role_map:
            tree_root.dict["RoleMap"] = PDFDictionary(role_map)
        doc.Catalog.StructTreeRoot = tree_ref
        doc.Catalog.MarkInfo = PDFDictionary({"Marked": "true"})


def _first_page(node: Node) -> int | None:
    for kid in node.kids:
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
        return parts


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
    """For the canvas: text objects of a list item are marked one by one (label, body)."""

    def drawText(self, textobject):
        tags: Recorder | None = getattr(self, "tags", None)
        nodes = tags.text_nodes if tags is not None else None
        if not nodes:
            return super().drawText(textobject)
        node = nodes.pop(0) if len(nodes) > 1 else nodes[0]
        opened = tags.begin(self._code, node)
        super().drawText(textobject)
        if opened:
            tags.end(self._code)
