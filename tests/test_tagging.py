"""Tagged PDF: every shipped combination passes two offline PDF/UA checkers, and the
structure tree (walked with pikepdf, independently of leaflet's own reader) holds the
tailored leaflet line by line, in reading order, with the right heading levels."""

from __future__ import annotations

import io
import re
import unicodedata
from itertools import product

import outloud
import pdfua
import pikepdf
import pytest
from pypdf import PdfReader

from conftest import DUPIXENT, FIXTURES, ROOT, build_leaflet, long_disclaimer_content
from leaflet.build import Request, render_request, tailored
from leaflet.check import MISTAGGED, UNTAGGED, check_pdf, tag_misses
from leaflet.layout import Personal
from leaflet.structure import page_texts
from leaflet.tailor import Para, printed
from leaflet.checked import load_content

STYLES = ("standard", "large-print", "ink-saver")
PAGE_SIZES = ("a4", "letter")
AUDIENCES = ("caregiver", "adolescent", "adult")
COMBINATIONS = list(product(STYLES, PAGE_SIZES, AUDIENCES))
PATIENT = Personal("Zoë Martin", "High Street Pharmacy", "01632 960 000")


def squash(text: str) -> str:
    return "".join(unicodedata.normalize("NFKC", text).split())


def walk(pdf: bytes) -> list[tuple[str, int, list[tuple[int, int]]]]:
    """(role after the role map, depth, [(page, MCID)...]) for each element, in tree order."""
    with pikepdf.open(io.BytesIO(pdf)) as doc:
        tree = doc.Root.StructTreeRoot
        role_map = {str(k)[1:]: str(v)[1:] for k, v in tree.get("/RoleMap", {}).items()}
        pages = {page.objgen: index for index, page in enumerate(doc.pages)}
        out = []

        def visit(node, depth, page, marks=None):
            """Inline elements (a Link and the Spans around it) add their marks to their
            parent's (`marks` given): together they make one line of text."""
            if "/Pg" in node:
                page = pages[node.Pg.objgen]
            role = str(node.S)[1:]
            inline = marks is not None
            marks, children = marks if inline else [], []
            kids = node.get("/K")
            for kid in (kids if isinstance(kids, pikepdf.Array) else [kids] if kids is not None else []):
                if isinstance(kid, int):
                    marks.append((page, int(kid)))
                elif kid.get("/Type") == "/MCR":
                    marks.append((pages[kid.Pg.objgen], int(kid.MCID)))
                elif kid.get("/Type") == "/OBJR":
                    continue  # a link's annotation
                elif str(kid.S) in ("/Link", "/Span"):
                    visit(kid, depth + 1, page, marks)
                else:
                    children.append(kid)
            if inline:
                return
            out.append((role_map.get(role, role), depth, marks))
            for child in children:
                visit(child, depth + 1, page)

        visit(tree.K, 0, None)
        # The ParentTree maps each page's MCIDs back to the same elements.
        nums = list(tree.ParentTree.Nums)
        # (a merged file's blank backs have no content and no StructParents; an entry that
        # is one element, not an array, is an annotation's: a link's, see the links test)
        annotation_keys = [int(key) for key, entry in zip(nums[0::2], nums[1::2]) if not isinstance(entry, pikepdf.Array)]
        assert sorted(annotation_keys) == sorted(int(a.StructParent) for page in doc.pages
                                                 for a in page.get("/Annots", []))
        nums = [item for key, entry in zip(nums[0::2], nums[1::2]) if isinstance(entry, pikepdf.Array)
                for item in (key, entry)]
        assert [int(n) for n in nums[0::2]] == [int(page.StructParents) for page in doc.pages
                                                if "/StructParents" in page]
        page_of_key = {int(page.StructParents): index for index, page in enumerate(doc.pages)
                       if "/StructParents" in page}
        for key, entry in zip(nums[0::2], nums[1::2]):
            assert len(entry) == sum(1 for _, _, marks in out for mark in marks if mark[0] == page_of_key[int(key)])
        return out


def elements_with_text(pdf: bytes) -> list[tuple[str, str]]:
    texts, untagged = page_texts(PdfReader(io.BytesIO(pdf)))
    assert untagged == []
    # pypdf gives a line's text to the sequence open when the line ends, so a link's
    # sequence in mid-line may read back empty: its text is in its paragraph's next one.
    return [(role, " ".join(texts[page].get(mcid, "") for page, mcid in marks))
            for role, _, marks in walk(pdf) if marks]


@pytest.mark.parametrize("style,page_size,audience", COMBINATIONS)
def test_every_combination_passes_both_pdfua_checkers(style, page_size, audience, tmp_path):
    personal = PATIENT if audience == "adult" else Personal()
    pdf = render_request(Request(DUPIXENT, audience, style=style, page_size=page_size, personal=personal)).pdf
    path = tmp_path / "leaflet.pdf"
    path.write_bytes(pdf)
    report = pdfua.validate(str(path))
    assert [(f.rule_id, f.message) for f in report.findings] == []
    result = outloud.check(str(path))
    assert result.error is None
    assert [(f.rule, f.message) for f in result.findings if f.severity in ("error", "warning")] == []
    assert result.verdict == "pass"


def _shipped_leaflets() -> list[tuple[str, str, str, str]]:
    """(content file, audience, style, page size): every shipped medicine in every language,
    for each audience it is written for, in the default style; and the right-to-left
    leaflets also in large print on letter paper, where their table starts a page."""
    from leaflet.tailor import AUDIENCES as READERS, serves

    combos = []
    for path in sorted((ROOT / "content").glob("*.yaml")):
        content = load_content(path)
        for audience, reader in READERS.items():
            if serves(content, reader):
                combos.append((path.name, audience, "standard", "a4"))
                if content.language == "ar":
                    combos.append((path.name, audience, "large-print", "letter"))
    return combos


SHIPPED = _shipped_leaflets()


def test_the_shipped_leaflets_cover_every_content_file_and_language():
    files = {name for name, *_ in SHIPPED}
    assert files == {path.name for path in (ROOT / "content").glob("*.yaml")}
    assert {"dupixent.ar.yaml", "dupixent.es.yaml", "sertraline.yaml", "acetaminophen.yaml"} <= files


@pytest.mark.parametrize("name,audience,style,page_size", SHIPPED, ids=["-".join(combo) for combo in SHIPPED])
def test_every_shipped_leaflet_passes_both_pdfua_checkers(name, audience, style, page_size, tmp_path):
    """No pdfua finding and outloud's "pass" (no warning such as ORD-001, content painted
    out of tag-tree order, which a right-to-left table once gave) for every medicine and
    language, not only the English Dupixent the combinations above cover."""
    pdf = render_request(Request(ROOT / "content" / name, audience, style=style, page_size=page_size)).pdf
    assert_both_checkers_pass(pdf, tmp_path)


def assert_both_checkers_pass(pdf: bytes, folder) -> None:
    """No pdfua finding, and outloud's "pass" with no error or warning."""
    path = folder / "leaflet.pdf"
    path.write_bytes(pdf)
    assert [(f.rule_id, f.message) for f in pdfua.validate(str(path)).findings] == []
    result = outloud.check(str(path))
    assert result.error is None
    assert [(f.rule, f.message) for f in result.findings if f.severity in ("error", "warning")] == []
    assert result.verdict == "pass"


@pytest.mark.parametrize("style,page_size,audience", COMBINATIONS)
def test_structure_tree_reads_as_the_tailored_leaflet_line_by_line(style, page_size, audience):
    request = Request(DUPIXENT, audience, style=style, page_size=page_size)
    leaflet = tailored(load_content(DUPIXENT), request)
    rendered = render_request(request)
    tagged = [(role, text) for role, text in elements_with_text(rendered.pdf) if role != "Lbl"]
    expected = printed(leaflet)
    assert [squash(text) for _, text in tagged[:len(expected)]] == [squash(item.text) for item in expected]
    # Then the last page's footer, read once: the source, its reviewer and date.
    footer = [text for _, text in tagged[len(expected):]]
    assert len(footer) == 1 and squash(footer[0]).startswith(squash(f"Page {rendered.pages} of {rendered.pages}."))
    for (role, _), item in zip(tagged, expected):
        if item.level:
            assert role == f"H{item.level}", item.text
        else:
            assert not re.fullmatch(r"H\d?", role), item.text


def test_lists_tables_and_boxes_have_their_structure():
    pdf = build_leaflet("adult").pdf
    tree = walk(pdf)
    roles = [role for role, _, _ in tree]
    assert roles[0] == "Document" and roles[1:3] == ["H1", "P"]
    # Key points: a box (Aside, mapped to Sect) holding its heading and a list of items,
    # each a bullet label and a body.
    start = roles.index("L")
    assert roles[start - 2:start] == ["Sect", "H2"]
    items = roles[start + 1:start + 1 + 3 * 5]
    assert items == ["LI", "Lbl", "LBody"] * 5
    # The devices table: a header row of TH cells with Scope Column, then rows of TD.
    table = roles.index("Table")
    assert roles[table + 1:table + 5] == ["TR", "TH", "TH", "TH"]
    with pikepdf.open(io.BytesIO(pdf)) as doc:
        tree_root = doc.Root.StructTreeRoot
        assert tree_root.RoleMap.Aside == "/Sect"
        assert doc.Root.MarkInfo.Marked is True
        assert str(doc.Root.Lang) == "en"
        assert doc.Root.ViewerPreferences.DisplayDocTitle is True
        headers = []

        def find(node):
            if node.get("/S") == "/TH":
                headers.append(node.A)
            kids = node.get("/K")
            for kid in kids if isinstance(kids, pikepdf.Array) else [kids]:
                if isinstance(kid, pikepdf.Dictionary) and "/S" in kid:
                    find(kid)

        find(tree_root.K)
        assert [(str(a.O), str(a.Scope)) for a in headers] == [("/Table", "/Column")] * 3
        with doc.open_metadata() as xmp:
            assert xmp["dc:title"] == "Dupixent (dupilumab): For adults aged 18 and over"
            assert xmp["pdfuaid:part"] == "1"


def test_header_footer_and_frames_are_artifacts_not_content():
    built = build_leaflet("adult", style="large-print", personal=PATIENT)
    pdf = built.pdf
    texts = " ".join(text for _, text in elements_with_text(pdf))
    # Only the last page's footer is read (once, at the end); the others are artifacts.
    assert built.pages > 2 and f"Page {built.pages} of" in texts and "Page 1 of" not in texts
    assert texts.count("Your pharmacy:") == 1
    # The title is read once (the H1), not once per page from the running header.
    assert texts.count("Dupixent (dupilumab)") == sum(
        item.text.count("Dupixent (dupilumab)") for item in printed(tailored(load_content(DUPIXENT),
                                                                           Request(DUPIXENT, "adult"))))
    with pikepdf.open(io.BytesIO(pdf)) as doc:
        frames = 0
        for page in doc.pages:
            operators = [str(op) for _, op in pikepdf.parse_content_stream(page)]
            assert operators.count("BDC") + operators.count("BMC") == operators.count("EMC")
            frames += operators.count("BMC")  # box frames and table grids: untyped artifacts
        assert frames >= 3


def test_a_paragraph_split_across_pages_stays_one_element(tmp_path):
    content = long_disclaimer_content(tmp_path)
    rendered = render_request(Request(content, "adult", style="large-print"))
    assert rendered.pages >= 3
    disclaimer = walk(rendered.pdf)[-2]  # the last element is the last page's footer
    assert disclaimer[0] == "P" and len({page for page, _ in disclaimer[2]}) >= 2
    assert elements_with_text(rendered.pdf)[-2][1].replace("\n", " ").count("Sentence number") == 52
    leaflet = tailored(load_content(content), Request(content, "adult", style="large-print"))
    assert tag_misses(rendered.pdf, leaflet) == []


def test_a_table_split_across_pages_goes_on_as_a_table_with_its_header_on_each_page(tmp_path):
    """Each page's part of a long table is a Table of its own whose header row is real
    header cells: read from that page, the columns are named, and the grid a checker sees
    on the page is announced there (outloud TBL-014 warned about every continued part)."""
    # Names that differ in letters, not only in digits: outloud takes lines alike but for
    # their digits at the top or foot of every page for running headers (PAG-001).
    names = [f"{a}{b}" for a in "bcdfghjklm" for b in "aeiouy"]
    devices = "\n".join(f"    - {{id: d{n}, name: Device {names[n]}, doses: {n} mg, ages: 3 years and older}}"
                        for n in range(60))
    text = (FIXTURES / "minimal.yaml").read_text()
    text = text.replace("    - {id: tablet, name: Tablet, doses: 10 mg, ages: 3 years and older}", devices)
    content = tmp_path / "many.yaml"
    content.write_text(text)
    rendered = render_request(Request(content, "adult"))
    tagged = elements_with_text(rendered.pdf)
    assert rendered.pages >= 2
    tree = walk(rendered.pdf)
    parts = [index for index, (role, _, _) in enumerate(tree) if role == "Table"]
    assert len(parts) == rendered.pages  # the table runs over every page
    assert [text.strip() for role, text in tagged if role == "TH"] == ["Device", "Doses", "For"] * len(parts)
    assert sum(1 for role, _ in tagged if role == "TD") == 60 * 3
    assert [role for role, _, _ in tree].count("TR") == 60 + len(parts)
    # Each part's cells are on one page, a different page for each part.
    pages_of_parts = []
    for start, end in zip(parts, [*parts[1:], len(tree)]):
        pages = {page for _, _, marks in tree[start:end] for page, _ in marks}
        assert len(pages) == 1, pages
        pages_of_parts.append(pages.pop())
    assert pages_of_parts == list(range(rendered.pages))
    leaflet = tailored(load_content(content), Request(content, "adult"))
    assert tag_misses(rendered.pdf, leaflet) == []
    path = tmp_path / "many.pdf"
    path.write_bytes(rendered.pdf)
    assert [(f.rule_id, f.message) for f in pdfua.validate(str(path)).findings] == []
    result = outloud.check(str(path))
    assert [(f.rule, f.message) for f in result.findings if f.severity in ("error", "warning")] == []


def shown_text_by_mcid(page) -> dict[int, str]:
    """The strings each marked-content sequence shows, read operator by operator (pypdf
    gives a line's text to the sequence open when the line ends). ASCII only: ReportLab
    keeps ASCII characters at their own codes in a font subset."""
    shown: dict[int, str] = {}
    open_mcids: list[int | None] = []
    for operands, operator in pikepdf.parse_content_stream(page):
        name = str(operator)
        if name == "BDC":
            properties = operands[1]
            open_mcids.append(int(properties.MCID) if isinstance(properties, pikepdf.Dictionary)
                              and "/MCID" in properties else None)
        elif name == "BMC":
            open_mcids.append(None)
        elif name == "EMC":
            open_mcids.pop()
        elif name in ("Tj", "TJ", "'", '"') and open_mcids and open_mcids[-1] is not None:
            parts = operands[-1] if name == "TJ" else [operands[-1]]
            text = "".join(bytes(part).decode("latin-1") for part in parts if isinstance(part, pikepdf.String))
            shown[open_mcids[-1]] = shown.get(open_mcids[-1], "") + text
    return shown


def test_each_printed_source_address_is_a_tagged_link(tmp_path):
    """Sources print their web addresses: each is a Link element holding the address's
    text and an OBJR to a URI annotation over it, so neither checker warns (LNK-010)."""
    content = ROOT / "content" / "epinephrine.yaml"
    request = Request(content, "adult")
    leaflet = tailored(load_content(content), request)
    urls = [block.url for section in leaflet.sections for block in section.blocks
            if isinstance(block, Para) and block.url]
    assert len(urls) == 3 and all(url.startswith("http") for url in urls)
    pdf = render_request(request).pdf
    assert_both_checkers_pass(pdf, tmp_path)
    assert tag_misses(pdf, leaflet) == []  # leaflet check reads a link as part of its line

    with pikepdf.open(io.BytesIO(pdf)) as doc:
        pages = {page.objgen: index for index, page in enumerate(doc.pages)}
        texts = [shown_text_by_mcid(page) for page in doc.pages]
        nums = list(doc.Root.StructTreeRoot.ParentTree.Nums)
        parent_tree = {int(key): value for key, value in zip(nums[0::2], nums[1::2])}
        links = []

        def find(node):
            if node.get("/S") == "/Link":
                links.append(node)
            kids = node.get("/K")
            for kid in kids if isinstance(kids, pikepdf.Array) else [kids]:
                if isinstance(kid, pikepdf.Dictionary) and "/S" in kid:
                    find(kid)

        find(doc.Root.StructTreeRoot.K)
        found = {}
        for link in links:
            assert link.P.S == "/P"  # inside its paragraph, between the Spans around it
            page = pages[link.Pg.objgen]
            kids = list(link.K)
            text = "".join(texts[page][int(kid)] for kid in kids if isinstance(kid, int))
            annotations = [kid.Obj for kid in kids if isinstance(kid, pikepdf.Dictionary) and kid.Type == "/OBJR"]
            assert annotations, "a Link element without its annotation"
            for annotation in annotations:
                assert annotation.Subtype == "/Link" and annotation.A.S == "/URI"
                assert int(annotation.F) == 4 and str(annotation.Contents).endswith(str(annotation.A.URI))
                assert parent_tree[int(annotation.StructParent)].objgen == link.objgen
            uri = {str(annotation.A.URI) for annotation in annotations}
            assert len(uri) == 1
            found[uri.pop()] = "".join(text.split())  # a long address wraps over lines
        assert found == {url: url for url in urls}
        for page in doc.pages:
            if "/Annots" in page:
                assert page.Tabs == "/S"


# --- leaflet check on tags ----------------------------------------------------------------


def _retag(pdf: bytes, change) -> bytes:
    with pikepdf.open(io.BytesIO(pdf)) as doc:
        change(doc)
        out = io.BytesIO()
        doc.save(out)
        return out.getvalue()


def test_check_passes_a_fresh_leaflet_and_reports_a_heading_at_the_wrong_level():
    pdf = build_leaflet("adult").pdf
    content = load_content(DUPIXENT)
    leaflet = tailored(content, Request(DUPIXENT, "adult"))
    assert check_pdf(pdf, leaflet, content) == []

    def demote_first_h2(doc):
        def visit(node):
            if node.get("/S") == "/H2":
                node.S = pikepdf.Name.P
                return True
            kids = node.get("/K")
            return any(visit(kid) for kid in (kids if isinstance(kids, pikepdf.Array) else [kids])
                       if isinstance(kid, pikepdf.Dictionary) and "/S" in kid)
        visit(doc.Root.StructTreeRoot.K)

    misses = check_pdf(_retag(pdf, demote_first_h2), leaflet, content)
    assert [(m.kind, m.text, m.detail) for m in misses] == [(MISTAGGED, "Key points", "tagged P, should be H2")]
    assert str(misses[0]) == 'mis-tagged label: tagged P, should be H2: "Key points"'


def test_check_reports_an_untagged_pdf_and_lines_out_of_reading_order():
    pdf = build_leaflet("adult").pdf
    content = load_content(DUPIXENT)
    leaflet = tailored(content, Request(DUPIXENT, "adult"))

    def untag(doc):
        del doc.Root["/StructTreeRoot"]
        del doc.Root["/MarkInfo"]

    assert [(m.kind, m.name) for m in check_pdf(_retag(pdf, untag), leaflet, content)] == [
        (UNTAGGED, "structure-tree")]

    def swap_first_two(doc):
        kids = doc.Root.StructTreeRoot.K.K
        first, second = kids[0], kids[1]
        kids[0], kids[1] = second, first

    misses = check_pdf(_retag(pdf, swap_first_two), leaflet, content)
    assert [(m.kind, m.text, m.detail) for m in misses] == [
        (MISTAGGED, "For adults aged 18 and over", "out of reading order in the structure tree")]


def test_check_reports_text_drawn_neither_tagged_nor_as_an_artifact():
    pdf = build_leaflet("adult").pdf
    content = load_content(DUPIXENT)
    leaflet = tailored(content, Request(DUPIXENT, "adult"))

    def strip_artifact_marks(doc):
        page = doc.pages[0]
        ops = pikepdf.parse_content_stream(page)
        kept, depth, dropping = [], 0, []
        for operands, op in ops:
            name = str(op)
            if name == "BDC" and str(operands[0]) == "/Artifact":
                dropping.append(True)
                continue
            if name in ("BDC", "BMC"):
                dropping.append(False)
            elif name == "EMC":
                if dropping.pop():
                    continue
            kept.append((operands, op))
        page.Contents = doc.make_stream(pikepdf.unparse_content_stream(kept))

    misses = check_pdf(_retag(pdf, strip_artifact_marks), leaflet, content)
    untagged = [m for m in misses if m.kind == UNTAGGED]
    assert untagged and all(m.name == "page-1" for m in untagged)
    assert any("Dupixent (dupilumab)" in m.text for m in untagged)  # the running header


# --- The merged print file ------------------------------------------------------------------


def _batch(cli_runner, tmp_path, rows: list[str]):
    from leaflet.cli import cli

    manifest = tmp_path / "m.csv"
    manifest.write_text("content,audience,patient_name,style,page_size\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return cli_runner.invoke(cli, ["batch", str(manifest), "--out-dir", str(tmp_path / "out"),
                                   "--merge", str(tmp_path / "print.pdf"), "--jobs", "1"])


def test_the_merged_print_file_is_tagged_with_a_part_per_leaflet(cli_runner, tmp_path):
    short = FIXTURES / "batch" / "short.yaml"  # one page: the merge adds a blank back
    result = _batch(cli_runner, tmp_path, [f"{short},adult,Zoë,standard,a4",
                                           f"{DUPIXENT},caregiver,Łukasz,large-print,a4",
                                           f"{DUPIXENT},adolescent,Дмитрий,standard,a4"])
    assert result.exit_code == 0, result.output
    merged = tmp_path / "print.pdf"
    assert pdfua.validate(str(merged)).findings == ()
    # outloud's TAG-002 guesses that a line is running furniture when it recurs on 3 pages;
    # in a merge, a two-page leaflet's footer recurs on 2, so it reads the artifact footer of
    # its first page as skipped prose (its text is read, tagged, on the leaflet's last page).
    result = outloud.check(str(merged), skip=["TAG-002"])
    assert [(f.rule, f.message) for f in result.findings if f.severity in ("error", "warning")] == []
    pdf = merged.read_bytes()
    with pikepdf.open(io.BytesIO(pdf)) as doc:
        assert str(doc.Root.Lang) == "en" and doc.Root.MarkInfo.Marked is True
        assert doc.Root.ViewerPreferences.DisplayDocTitle is True
        parts = list(doc.Root.StructTreeRoot.K.K)
        assert [str(part.S) for part in parts] == ["/Part"] * 3
        assert [str(part.Lang) for part in parts] == ["en"] * 3
        assert str(parts[1].T) == "Row 3 – Łukasz – 00003-dupixent-caregiver.pdf"
        with doc.open_metadata() as xmp:
            assert xmp["pdfuaid:part"] == "1" and xmp["dc:title"].startswith("leaflet batch")
        # One bookmark per leaflet, holding that leaflet's section bookmarks.
        outline = doc.open_outline().root
        assert [len(item.children) for item in outline][1:] == [6, 6]
        assert outline[1].children[0].title == "Key points"
        # Duplex: the one-page leaflet got a blank back, so the next starts on page 3.
        assert "/Contents" not in doc.pages[1] and "/Contents" in doc.pages[2]
        # Subsets that differ in what they hold never share a name.
        seen: dict[str, bytes] = {}
        for page in doc.pages:
            for font in (page.get("/Resources", {}).get("/Font") or {}).values():
                data = font.FontDescriptor.FontFile2.read_bytes()
                assert seen.setdefault(str(font.BaseFont), data) == data
        assert len(seen) >= 4
    # Each leaflet reads back, line by line, from its Part.
    tagged = [text for role, text in elements_with_text(pdf) if role != "Lbl"]
    leaflet = tailored(load_content(DUPIXENT), Request(DUPIXENT, "caregiver"))
    lines = [squash(item.text) for item in printed(leaflet)]
    start = [squash(text) for text in tagged].index(lines[0], 1)
    assert [squash(text) for text in tagged[start:start + len(lines) + 1] if "Preparedfor" not in squash(text)][
        :len(lines)] == lines


def test_a_merged_print_file_keeps_each_link_tied_to_its_element(cli_runner, tmp_path):
    """Each leaflet's annotations' ParentTree keys move with its pages' keys: no two share one."""
    epinephrine = ROOT / "content" / "epinephrine.yaml"
    result = _batch(cli_runner, tmp_path, [f"{epinephrine},adult,Zoë,standard,a4",
                                           f"{epinephrine},adolescent,Łukasz,standard,a4"])
    assert result.exit_code == 0, result.output
    merged = tmp_path / "print.pdf"
    assert pdfua.validate(str(merged)).findings == ()
    with pikepdf.open(merged) as doc:
        nums = list(doc.Root.StructTreeRoot.ParentTree.Nums)
        keys = [int(key) for key in nums[0::2]]
        assert keys == sorted(set(keys)) and int(doc.Root.StructTreeRoot.ParentTreeNextKey) == keys[-1] + 1
        entries = dict(zip(keys, nums[1::2]))
        annotations = [annotation for page in doc.pages for annotation in page.get("/Annots", [])]
        assert len(annotations) >= 6
        for annotation in annotations:
            link = entries[int(annotation.StructParent)]
            assert link.S == "/Link"
            assert any(isinstance(kid, pikepdf.Dictionary) and kid.get("/Type") == "/OBJR"
                       and kid.Obj.objgen == annotation.objgen for kid in link.K)
    walk(merged.read_bytes())


def test_a_merge_that_would_mix_paper_sizes_is_refused(cli_runner, tmp_path):
    result = _batch(cli_runner, tmp_path, [f"{DUPIXENT},adult,,standard,a4", f"{DUPIXENT},adult,,standard,letter"])
    assert result.exit_code == 1
    assert ("Row 3 – 00003-dupixent-adult.pdf is on another paper size (Letter) than "
            "Row 2 – 00002-dupixent-adult.pdf (A4)") in result.output
    assert not (tmp_path / "print.pdf").exists()
    assert len(list((tmp_path / "out").glob("*.pdf"))) == 2  # the leaflets themselves are built


def test_a_figure_without_alternative_text_is_refused():
    from leaflet.tagging import Node, Recorder

    recorder = Recorder()
    with pytest.raises(ValueError, match="alternative text"):
        recorder.begin([], Node("Figure"))
    code: list[str] = []
    assert recorder.begin(code, Node("Figure", alt="A pre-filled pen"))
    assert code == ["/Figure <</MCID 0>> BDC"]
