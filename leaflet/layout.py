"""Stage 4: lay a tailored leaflet out as PDF pages (ReportLab platypus), in memory.

Rendering returns bytes and never touches the disk (as WeasyPrint separates render
from write), so a batch or a test can render without writing.
"""

from __future__ import annotations

import copy
import io
import re
from contextlib import nullcontext

from dataclasses import dataclass
from functools import lru_cache, partial
from typing import TYPE_CHECKING, Callable

from . import rtl  # first: it imports ReportLab's platypus without a slow step (rtl._import_paragraph)
from reportlab.lib import colors
from reportlab.lib.enums import TA_LEFT, TA_RIGHT
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus.flowables import _listWrapOn
from reportlab.platypus.paragraph import ParaLines
from reportlab.platypus import (
    BaseDocTemplate,
    KeepTogether,
    LayoutError,
    Flowable,
    Frame,
    PageTemplate,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)

from . import addresses, fonts, i18n
from .errors import LeafletError
from .styles import PAGE_SIZES
from .pdfmeta import Claims, add_metadata, add_output_intent, document_id, set_document_id
from .tagging import (Node, Recorder, TableTags, Tagged, TaggingCanvasMixin, artifact, group, link_markup,
                      list_item)
from .tailor import Leaflet, Para, SubHeading, Table as TableBlock, Warning, WarningList

if TYPE_CHECKING:  # a checked style arrives as a record (leaflet.records) with these fields
    from .style_model import Style, TextStyle

rtl.install()
addresses.install()

BULLET = "\u2022"


@dataclass(frozen=True)
class Personal:
    """Per-patient details a pharmacy adds (printed, never used to tailor)."""

    patient_name: str | None = None
    pharmacy: str | None = None
    pharmacy_phone: str | None = None
    #: The pharmacy's directions for this patient, printed in their own box on page 1.
    directions: str | None = None




@dataclass(frozen=True)
class Rendered:
    pdf: bytes
    pages: int
    #: How full each page's text area is (0 to 1), the last page included.
    page_fill: tuple[float, ...] = ()


#: A number and the unit after it ("100 mg", "33 lb", "6 months") never break across lines.
_NUMBER_UNIT = re.compile(r"(?<![\w.])(\d+(?:[.,]\d+)?) +(?=(?:mg|mL|ml|mcg|µg|g|kg|lb|lbs|IU|units?|years?"
                          r"|months?|weeks?|days?|hours?|minutes?|times|tablets?|puffs?|drops?)\b)")


def keep_units(text: str) -> str:
    """Join each number to its unit with a no-break space (text or markup alike)."""
    return _NUMBER_UNIT.sub("\\1\u00a0", text)


def markup(text: str, bold: bool = False) -> str:
    """Text from content or users made safe for ReportLab's paragraph markup.

    Each run of a script the Latin font does not draw is set in its own face.
    """
    return fonts.markup(text, bold)


def render(leaflet: Leaflet, style: Style, page_size: str = "a4", personal: Personal = Personal(),
           pdfa: bool = False) -> Rendered:
    """Lay the leaflet out as tagged PDF (PDF/UA-1); with pdfa, also PDF/A-2a."""
    if page_size not in PAGE_SIZES:
        raise LeafletError(f"unknown page size {page_size!r} (choose from: {', '.join(PAGE_SIZES)})")
    _refuse_undrawable(personal)
    fonts.register_fonts()
    words = i18n.catalogue(leaflet.language)
    direction = rtl.direction.set("RTL" if words.right_to_left else "LTR")
    try:
        rendered = _render(leaflet, style, page_size, personal, _look_for(style, words.right_to_left), pdfa)
        if rendered.pages > 1 and rendered.page_fill[-1] < _SHORT_LAST_PAGE:
            # A last page with a few lines on it: the same leaflet with less space between
            # blocks (never smaller text) often fits a page fewer.
            for spacing in _TIGHTER_SPACING:
                tighter = _render(leaflet, style, page_size, personal,
                                  _look_for(style, words.right_to_left, spacing), pdfa)
                if tighter.pages < rendered.pages:
                    return tighter
        return rendered
    finally:
        rtl.direction.reset(direction)


#: A last page less full than this is worth trying to do without.
_SHORT_LAST_PAGE = 1 / 3
#: The shares of the style's space between blocks tried, in turn, to save a page.
_TIGHTER_SPACING = (0.75, 0.5)


def _render(leaflet: Leaflet, style: Style, page_size: str, personal: Personal, look: _Look,
            pdfa: bool) -> Rendered:
    width, height = PAGE_SIZES[page_size]
    margin = style.margin_mm * mm
    frame_width = width - 2 * margin

    footer_lines = _footer_paragraphs(leaflet, personal, look, page=99, total=99)
    footer_height = sum(p.wrap(frame_width, height)[1] for p in footer_lines) + look.gap
    header_height = look.header.leading + look.gap + style.line_width

    def draw_header(canvas: Canvas, _doc=None) -> None:
        with artifact(canvas, "Pagination"):
            _draw_header(canvas)

    def _draw_header(canvas: Canvas) -> None:
        canvas.saveState()
        top = height - margin
        canvas.setFont(fonts.BOLD, look.header.fontSize)
        canvas.setFillColor(look.accent)
        if look.right_to_left or fonts.needs_own_face(leaflet.title):  # shaped, in reading order
            title = look.paragraph(leaflet.title, look.header_title)
            _, title_height = title.wrap(frame_width, height)
            title.drawOn(canvas, margin, top - title_height)
        else:
            canvas.drawString(margin, top - look.header.fontSize,
                              _fit(leaflet.title, fonts.BOLD, look.header.fontSize, frame_width))
        canvas.setStrokeColor(look.rule)
        canvas.setLineWidth(style.line_width)
        rule_y = top - header_height + look.gap / 2
        canvas.line(margin, rule_y, width - margin, rule_y)
        canvas.restoreState()

    def draw_footer(canvas: Canvas, page: int, total: int) -> None:
        """The footer: page furniture (an Artifact), except on the last page, where it is
        read once, after the disclaimer: the pharmacy and the source are information."""
        canvas.saveState()
        with artifact(canvas):
            canvas.setStrokeColor(look.rule)
            canvas.setLineWidth(style.line_width)
            canvas.line(margin, margin + footer_height - look.gap / 2, width - margin,
                        margin + footer_height - look.gap / 2)
        with artifact(canvas, "Pagination") if page < total else nullcontext():
            y = margin + footer_height - look.gap
            for paragraph in _footer_paragraphs(leaflet, personal, look, page, total):
                _, h = paragraph.wrap(frame_width, height)
                paragraph.drawOn(canvas, margin, y - h)
                y -= h
        canvas.restoreState()

    frame_height = height - 2 * margin - footer_height - header_height
    frame = _BodyFrame(
        margin,
        margin + footer_height,
        frame_width,
        frame_height,
        leftPadding=0, rightPadding=0, topPadding=0, bottomPadding=0,
        id="body",
    )
    frame.rule_above = look.gap / 2 - style.line_width / 2  # see draw_header
    buffer = io.BytesIO()
    doc = _LeafletDoc(
        buffer,
        pagesize=(width, height),
        pageTemplates=[PageTemplate(id="page", frames=[frame], onPage=draw_header)],
        leftMargin=margin, rightMargin=margin, topMargin=margin, bottomMargin=margin,
        title=f"{leaflet.title}: {leaflet.for_line}",
        author=_author(leaflet, style, personal),
        subject=_subject(leaflet),
        keywords=_keywords(leaflet),

        creator="leaflet",
        lang=leaflet.language,
        displayDocTitle=True,
        invariant=1,
        initialFontName=fonts.REGULAR,
        keepTogetherClass=_KeepTogether,
        initialFontSize=style.body.font_size,
    )
    try:
        doc.build(_story(leaflet, personal, look, frame_width, frame_height),
                  canvasmaker=partial(_DeferredFooterCanvas, draw_footer=draw_footer, language=leaflet.language,
                                      claims=Claims(pdfua=True, pdfa="A" if pdfa else None)))
    except LayoutError as exc:
        raise LeafletError(_too_big(exc, style, page_size)) from None
    return Rendered(pdf=buffer.getvalue(), pages=doc.canv.page_total, page_fill=tuple(doc.page_fill))


# --- Metadata ----------------------------------------------------------------------


def _author(leaflet: Leaflet, style: Style, personal: Personal) -> str:
    """The organisation behind the leaflet: the style's publisher, else the pharmacy
    handing it out, else the source's publisher; empty rather than a page title."""
    return style.publisher or personal.pharmacy or leaflet.publisher or ""


def _subject(leaflet: Leaflet) -> str:
    return (f"Patient leaflet about {leaflet.brand} ({leaflet.generic}) {_lower_first(leaflet.for_line)}, "
            f"language {leaflet.language}. {rtl.plain(leaflet.source_line)}")


def _keywords(leaflet: Leaflet) -> list[str]:
    return [leaflet.brand, leaflet.generic, "patient leaflet", f"audience: {leaflet.audience.name}",
            f"language: {leaflet.language}"]


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


# --- Styles ------------------------------------------------------------------------


def _colour(value: str | None) -> colors.Color | None:
    return colors.HexColor(value) if value else None


@lru_cache(maxsize=16)
def _look_for(style: Style, right_to_left: bool = False, spacing: float = 1.0) -> _Look:
    return _Look(style, right_to_left, spacing)


class _Look:
    """ReportLab paragraph styles and colours derived from one Style, kept per process.

    It also remembers parsed paragraph markup: ReportLab parses every paragraph's markup
    (about 15% of a render), and a batch prints the same content text thousands of times.
    """

    def __init__(self, style: Style, right_to_left: bool = False, spacing: float = 1.0) -> None:
        c = style.colours
        self.style = style
        #: The share of the style's space before and after blocks that is kept (1: all of it).
        self.spacing = spacing
        #: A right-to-left page: text aligned right, bullets and box bars on the right,
        #: table columns mirrored.
        self.right_to_left = right_to_left
        self.text = _colour(c.text)
        self.accent = _colour(c.accent)
        self.rule = _colour(c.rule)
        self.box_fill = _colour(c.box_fill)
        self.warning_border = _colour(c.warning_border)
        self.warning_fill = _colour(c.warning_fill)
        self.table_header_fill = _colour(c.table_header_fill)
        self.table_grid = _colour(c.table_grid)
        self.gap = style.body.font_size * 0.5  # around the page header and footer
        #: Around boxes and tables, and before the disclaimer.
        self.block_gap = self.gap * spacing
        self.title = self._para("title", style.title, fonts.BOLD, self.accent, role="H1")
        self.subtitle = self._para("subtitle", style.subtitle, fonts.BOLD, self.text)
        self.heading = self._para("heading", style.heading, fonts.BOLD, self.accent, keepWithNext=1, role="H2")
        self.subheading = self._para("subheading", style.subheading, fonts.BOLD, self.text, keepWithNext=1,
                                     role="H3")
        self.body = self._para("body", style.body, fonts.REGULAR, self.text)
        #: A paragraph holding a web address: ReportLab is asked to break an over-long word
        #: (uriWasteReduce), which leaflet.addresses does at the points a reader expects;
        #: at 1, an address that fits a line is never split, only moved to the next.
        self.linked = ParagraphStyle("linked", parent=self.body, uriWasteReduce=1)
        self.linked.role = self.body.role
        self.bold = self._para("bold", style.body, fonts.BOLD, self.text)
        self.bullet = self._para("bullet", style.body, fonts.REGULAR, self.text, role="LI",
                                 leftIndent=style.indent, bulletIndent=0, bulletFontName=fonts.REGULAR)
        self.cell = self._para("cell", style.body, fonts.REGULAR, self.text, spaceAfter=0)
        self.cell_head = self._para("cell_head", style.body, fonts.BOLD, self.text, spaceAfter=0)
        self.footer = self._para("footer", style.footer, fonts.REGULAR, self.text)
        #: The footer naming a source by its web address (broken as in `linked`).
        self.footer_linked = ParagraphStyle("footer_linked", parent=self.footer, uriWasteReduce=1)
        self.footer_linked.role = self.footer.role
        self.header = self.footer
        self.header_title = ParagraphStyle("header_title", parent=self.footer, fontName=fonts.BOLD,
                                           textColor=self.accent, spaceBefore=0, spaceAfter=0)
        self.box_heading = ParagraphStyle("box_heading", parent=self.subheading, spaceBefore=0,
                                          textColor=self.accent, fontSize=self.heading.fontSize,
                                          leading=self.heading.leading)
        self.box_heading.role = "H2"
        self.warning_title = ParagraphStyle("warning_title", parent=self.bold, textColor=self.warning_border)
        self._parsed: dict[tuple[str, str, str | None, bool], tuple[str, ParagraphStyle, list, object]] = {}
        self._wrapped: dict[tuple, tuple] = {}
        self._twins: dict[str, ParagraphStyle] = {}
        # Tables set a cell font even when cells hold paragraphs; without this it is Helvetica.
        self.cell_font = [("FONTNAME", (0, 0), (-1, -1), fonts.REGULAR),
                          ("FONTSIZE", (0, 0), (-1, -1), style.body.font_size)]

    def paragraph(self, text: str, style: ParagraphStyle, bullet: str | None = None,
                  escaped: bool = False) -> Paragraph:
        """A paragraph of text, its markup parsed once per process.

        The text is escaped here, unless escaped=True says it is markup built from parts
        that went through markup() already (the footer's bold page number). It is tagged
        with its style's structure role (P unless the style says otherwise).
        """
        key = (text, style.name, bullet, escaped)
        parsed = self._parsed.get(key)
        right_bullet = bullet if self.right_to_left else None
        if right_bullet:
            bullet = None  # ReportLab draws bullets on the left: _Remembered draws it on the right
        if parsed is None:
            source = keep_units(text if escaped else markup(text, bold=style.fontName == fonts.BOLD))
            style = self._shaped(style, source)
            made = (_RightBulleted if right_bullet else _Remembered)(source, style, bulletText=bullet,
                                                                     memory=self._wrapped, key=key)
            if len(self._parsed) >= 4096:  # bounded: memory stays flat over a long batch
                self._parsed.clear()
                self._wrapped.clear()
            self._parsed[key] = (source, style, made.frags, made.bulletText)
        else:
            source, style, frags, bullet_frags = parsed
            made = (_RightBulleted if right_bullet else _Remembered)(source, style, bulletText=bullet_frags,
                                                                     frags=list(frags), memory=self._wrapped,
                                                                     key=key)
        made.right_bullet = right_bullet
        made.node = _node_for(style)
        return made

    def _shaped(self, style: ParagraphStyle, source: str) -> ParagraphStyle:
        """The style itself, or for text in another script its shaped, bidi-ordered twin.

        Shaping (uharfbuzz) joins Arabic letters and forms Devanagari clusters; bidi puts
        right-to-left words in reading order. Latin-only text skips both: it needs
        neither, and they cost time.
        """
        if not self.right_to_left and '<font name="' not in source and not rtl.needs_bidi(source):
            return style
        twin = self._twins.get(style.name)
        if twin is None:
            twin = self._twins[style.name] = ParagraphStyle(f"{style.name}-shaped", parent=style,
                                                            shaping=1, wordWrap="LTR")
        return twin

    def _para(self, name: str, spec: TextStyle, font: str, colour, role: str = "P", **extra) -> ParagraphStyle:
        options = dict(
            fontName=font,
            fontSize=spec.font_size,
            leading=spec.leading,
            spaceBefore=spec.space_before * self.spacing,
            spaceAfter=spec.space_after * self.spacing,
            textColor=colour,
            # ragged right (ragged left for right-to-left text) reads more easily than justified
            alignment=TA_RIGHT if self.right_to_left else TA_LEFT,
            allowWidows=0,  # never strand a paragraph's last line at the top of a page
            bulletFontSize=spec.font_size,  # ReportLab's default is 10 pt, below any minimum
        )
        options.update(extra)
        if self.right_to_left and "leftIndent" in options:  # indents mirror too
            options["rightIndent"], options["leftIndent"] = options.pop("leftIndent"), 0
        made = ParagraphStyle(name, **options)
        made.role = role  # the structure type of paragraphs in this style (see tagging.py)
        _refuse_small_print(name, made, self.style.min_font_size)
        return made


def _node_for(style: ParagraphStyle) -> Node:
    role = getattr(style, "role", "P")
    return list_item(Node(role)) if role == "LI" else Node(role)


# --- The story ---------------------------------------------------------------------


class _TaggedParagraph(Tagged, Paragraph):
    """A paragraph that marks what it draws as its node (see tagging.Tagged)."""


class _Remembered(_TaggedParagraph):
    """A content paragraph whose line breaks, at a given width, are worked out once.

    Line breaking is the largest part of a render, and a batch lays the same content
    text out thousands of times at the same widths. Paragraphs that ReportLab makes when
    it splits one across pages are built without a memory and wrap as usual.
    """

    def __init__(self, text, style=None, bulletText=None, frags=None, *args, memory=None, key=None, **kwargs):
        super().__init__(text, style, bulletText, frags, *args, **kwargs)
        self._memory, self._key = memory, key

    #: A bullet drawn at the right of the first line (right-to-left lists: _RightBulleted).
    right_bullet: str | None = None

    def breakLines(self, width):
        urls = tuple(self.links or ()) or self.addresses
        if urls:
            with addresses.printing(urls, min(width) if isinstance(width, (list, tuple)) else width):
                return self._break_lines(width)
        return self._break_lines(width)

    #: The web addresses it prints, as links ({address: Link node}; see _linked).
    links: dict | None = None
    #: The web addresses it prints as plain text (the footer's source): broken as links are.
    addresses: tuple[str, ...] = ()

    def _break_lines(self, width):
        if self.style.shaping and (rtl.direction.get() == "RTL" or rtl.needs_bidi(self.text)):
            return rtl.break_lines(self, width, super().breakLines, rtl.direction.get())
        return super().breakLines(width)

    #: A paragraph of up to this many lines moves to the next page whole rather than split.
    unbroken_lines = 0

    def split(self, availWidth, availHeight):
        if self.unbroken_lines:
            self.wrap(availWidth, availHeight)
            if len(self.blPara.lines) <= self.unbroken_lines:
                return []
        return super().split(availWidth, availHeight)

    def wrap(self, availWidth, availHeight):
        if self._memory is None:
            return super().wrap(availWidth, availHeight)
        remembered = self._memory.get((self._key, availWidth))
        if remembered is None:
            size = super().wrap(availWidth, availHeight)
            self._memory[(self._key, availWidth)] = (self._wrapWidths, _own_lines(self.blPara), self.height)
            return size
        self.width = availWidth
        self._wrapWidths, lines, self.height = remembered
        self.blPara = _own_lines(lines)
        return self.width, self.height


def _own_lines(lines: ParaLines) -> ParaLines:
    """A copy of broken lines that drawing may change without changing the remembered ones.

    ReportLab changes a paragraph's lines and their fragments as it draws them (a line's
    last word loses or gains its space), so sharing them made a leaflet's bytes depend on
    what the process had drawn before: a long-running server or batch worker could differ
    from the CLI by a space.
    """
    made = ParaLines(**vars(lines))
    if lines.kind == 0:
        made.lines = [(extra, list(words)) for extra, words in lines.lines]
    else:
        made.lines = []
        for line in lines.lines:
            own = copy.copy(line)
            own.words = [copy.copy(word) for word in line.words]
            made.lines.append(own)
    return made


class _RightBulleted(_Remembered):
    """A list item of a right-to-left page: its bullet at the right of the first line."""

    def draw(self):
        super().draw()
        style = self.style
        lines = getattr(self.blPara, "lines", None) or [None]
        ascent = getattr(lines[0], "ascent", None) or style.fontSize
        self.canv.setFont(style.bulletFontName, style.bulletFontSize)
        self.canv.setFillColor(style.textColor)
        self.canv.drawRightString(self.width - style.bulletIndent, self.height - ascent, self.right_bullet)


def _heading(text: str, style: ParagraphStyle, look: _Look) -> Paragraph:
    """A section heading, marked for the doc template to turn into a bookmark."""
    paragraph = look.paragraph(text, style)
    paragraph.bookmark = text
    return paragraph


def _story(leaflet: Leaflet, personal: Personal, look: _Look, width: float, height: float) -> list[Flowable]:
    story: list[Flowable] = [
        look.paragraph(leaflet.title, look.title),
        look.paragraph(leaflet.for_line, look.subtitle),
    ]
    words = i18n.catalogue(leaflet.language)
    if leaflet.notice:
        story.append(look.paragraph(leaflet.notice, look.warning_title))
    if personal.patient_name:
        source = markup(words.prepared_for.format(name=rtl.isolated(personal.patient_name, look.right_to_left)),
                        bold=True)
        prepared = _Remembered(source, look._shaped(look.bold, source))  # patient data: never remembered
        prepared.node = Node("P")
        story.append(prepared)
    if personal.directions:
        story.append(_directions(personal.directions, leaflet, look))
    story.extend(_warning(warning, look) for warning in leaflet.warnings)
    if leaflet.key_points_heading:
        story.append(_key_points(leaflet, look))
    for section in leaflet.sections:
        story.append(_heading(section.heading, look.heading, look))
        for block, next_block in zip(section.blocks, (*section.blocks[1:], None)):
            flowable = _block(block, look, width)
            if isinstance(flowable, _ContinuedTable):
                flowable.page_height = height
            if isinstance(next_block, (Warning, WarningList, TableBlock)):
                flowable.keepWithNext = 1  # a warning stays with its use, a table with its intro
            story.append(flowable)
    # The disclaimer never stands alone on a last page: it is kept with the end of the
    # block before it (whose last lines, at least, go over with it).
    story[-1].keepWithNext = 1
    gap = Spacer(0, look.block_gap)
    gap.keepWithNext = 1
    story.append(gap)
    disclaimer = _boxed([look.paragraph(leaflet.disclaimer, look.cell)], look, border=look.text, fill=None)
    disclaimer.whole_up_to = height  # split only when taller than a page
    story.append(disclaimer)
    return story


def _linked(block: Para, look: _Look) -> Flowable:
    """A paragraph whose web address is a link (a Link element over a URI annotation)."""
    before, _, after = block.text.partition(block.url)
    described = rtl.plain(before).rstrip(", ")  # isolates (Catalogue.field) order what is drawn, not what is read
    link, node = link_markup(block.url, f"{described}: {block.url}" if described else block.url)
    made = look.paragraph(markup(before) + link + markup(after), _address_style(look, look.linked, look.body),
                          escaped=True)
    node.parent = made.node
    made.links = {block.url: node}
    made.unbroken_lines = _LINKED_LINES_KEPT
    return made


def _address_style(look: _Look, breaking: ParagraphStyle, plain: ParagraphStyle) -> ParagraphStyle:
    """The style for a paragraph printing a web address: one that breaks it at its break
    points (leaflet.addresses), except on a right-to-left page. There every word is shaped
    before it is broken ("leaflet" holds the ligature "ﬂ"), so the address is not
    recognised; ReportLab's uriWasteReduce split it once after "https://" and left the
    rest running past the margin. ReportLab's splitting of over-long words keeps it inside."""
    return plain if look.right_to_left else breaking


#: A paragraph with a link of up to this many lines is never split across pages: split
#: just before its address, its Link element was left on the first page with no text
#: (outloud LNK-003), and an address cut in two cannot be typed.
_LINKED_LINES_KEPT = 6


def _block(block, look: _Look, width: float) -> Flowable:
    if isinstance(block, Para):
        if block.bullet:
            return look.paragraph(block.text, look.bullet, BULLET)
        if block.url and block.url in block.text:
            return _linked(block, look)
        return look.paragraph(block.text, look.body)
    if isinstance(block, SubHeading):
        return look.paragraph(block.text, look.subheading)
    if isinstance(block, Warning):
        return _warning(block, look)
    if isinstance(block, WarningList):
        return _warning_box(block.title, [look.paragraph(item, look.bullet, BULLET) for item in block.items], look)
    if isinstance(block, TableBlock):
        return _table(block, look, width)
    raise TypeError(f"no layout for {type(block).__name__}")


def _key_points(leaflet: Leaflet, look: _Look) -> Flowable:
    cells: list[Flowable] = [look.paragraph(leaflet.key_points_heading, look.box_heading)]
    cells += [look.paragraph(point, look.bullet, BULLET) for point in leaflet.key_points]
    box = _boxed(cells, look, border=look.accent, fill=look.box_fill)
    box.bookmark = leaflet.key_points_heading
    return box


def _directions(text: str, leaflet: Leaflet, look: _Look) -> Flowable:
    """The pharmacy's own directions for this patient. Patient data: never cached."""
    directions = i18n.catalogue(leaflet.language).directions  # the caregiver's leaflet, everyone else's
    heading = directions.caregiver if leaflet.audience.speaks_to_parent else directions.others
    source = keep_units(markup(text))
    given = _Remembered(source, look._shaped(look.cell, source))  # patient data: never remembered
    given.node = Node("P")
    cells = [look.paragraph(heading, look.box_heading), given]
    return _boxed(cells, look, border=look.accent, fill=look.box_fill)


def _warning(block: Warning, look: _Look) -> Flowable:
    return _warning_box(block.title, [look.paragraph(block.text, look.cell)], look)


def _warning_box(title: str, cells: list[Flowable], look: _Look) -> Flowable:
    """A red-bordered box with a thick left bar: a title, then a paragraph or a list."""
    return _boxed([look.paragraph(title, look.warning_title), *cells], look, border=look.warning_border,
                  fill=look.warning_fill, left_bar=look.style.line_width * 5)


def _boxed(cells: list[Flowable], look: _Look, border, fill, left_bar: float = 0) -> Flowable:
    return _Box(cells, padding=look.style.box_padding, line_width=look.style.line_width, border=border,
                fill=fill, left_bar=left_bar, space=look.block_gap, right_to_left=look.right_to_left)


class _Box(Flowable):
    """Flowables stacked inside a border, optionally filled, optionally with a thick left bar.

    A one-cell Table does the same at about twice the cost (it wraps its cells twice and
    deep-copies them) and cannot be split; a box that does not fit the rest of a page
    continues in a second box on the next, rather than leaving the page half empty.
    """

    def __init__(self, content: list[Flowable], padding: float, line_width: float, border, fill,
                 left_bar: float, space: float, node: Node | None = None, right_to_left: bool = False) -> None:
        super().__init__()
        #: Its structure element: what it holds is tagged inside it (its frame is an Artifact).
        self.node = node or Node("Aside")
        self.content = content
        self.padding = padding
        self.line_width = line_width
        self.border = border
        self.fill = fill
        self.left_bar = left_bar
        #: On a right-to-left page the thick bar is on the right (the side a line starts).
        self.right_to_left = right_to_left
        self.spaceBefore = self.spaceAfter = space
        self._placed: list[tuple[Flowable, float]] = []
        #: A box no taller than this is never split (the disclaimer is read whole).
        self.whole_up_to = 0.0

    def wrap(self, available_width: float, available_height: float) -> tuple[float, float]:
        inner = available_width - 2 * self.padding - self.left_bar
        self._placed, y = [], 0.0
        for index, flowable in enumerate(self.content):
            if index:
                y += flowable.getSpaceBefore()
            _, height = flowable.wrap(inner, available_height)
            y += height
            self._placed.append((flowable, y))
            if index < len(self.content) - 1:
                y += flowable.getSpaceAfter()
        self.width, self.height = available_width, y + 2 * self.padding
        return self.width, self.height

    def split(self, available_width: float, available_height: float) -> list[Flowable]:
        inner = available_width - 2 * self.padding - self.left_bar
        if self.whole_up_to and self.wrap(available_width, available_height)[1] <= self.whole_up_to:
            return []
        room = available_height - 2 * self.padding
        first: list[Flowable] = []
        rest = list(self.content)
        used = 0.0
        while rest:
            flowable = rest[0]
            gap = flowable.getSpaceBefore() if first else 0.0
            _, height = flowable.wrap(inner, room - used - gap)
            if used + gap + height <= room:
                first.append(rest.pop(0))
                used += gap + height + flowable.getSpaceAfter()
                continue
            parts = flowable.split(inner, room - used - gap)
            if len(parts) > 1:
                first.append(parts[0])
                rest[0:1] = parts[1:]
            break
        if not first or not rest:
            return []  # nothing fits here: the box moves to the next page whole
        if first == self.content[:1] and len(self.content) > 1 and rest[0] is self.content[1]:
            return []  # only its title would fit: a title alone at the foot of a page means nothing
        return [self._holding(first), self._holding(rest)]

    def _holding(self, content: list[Flowable]) -> _Box:
        return _Box(content, self.padding, self.line_width, self.border, self.fill, self.left_bar,
                    self.spaceBefore, self.node, self.right_to_left)

    def draw(self) -> None:
        canvas = self.canv
        bar_x = self.width - self.left_bar / 2 if self.right_to_left else self.left_bar / 2
        with artifact(canvas):
            canvas.saveState()
            if self.fill is not None:
                canvas.setFillColor(self.fill)
                canvas.rect(0, 0, self.width, self.height, stroke=0, fill=1)
            canvas.setStrokeColor(self.border)
            canvas.setLineWidth(self.line_width)
            canvas.rect(0, 0, self.width, self.height, stroke=1, fill=0)
            if self.left_bar:
                canvas.setLineWidth(self.left_bar)
                canvas.line(bar_x, 0, bar_x, self.height)
            canvas.restoreState()
        top = self.height - self.padding
        left = self.padding if self.right_to_left else self.padding + self.left_bar
        with group(canvas, self.node):
            for flowable, bottom in self._placed:
                flowable.drawOn(canvas, left, top - bottom)


#: How a table's width is shared among its columns, by the number of columns.
_COLUMN_SHARES = {1: (1.0,), 2: (0.5, 0.5), 3: (0.38, 0.27, 0.35), 4: (0.3, 0.2, 0.25, 0.25)}


def _table(block: TableBlock, look: _Look, width: float) -> Table:
    """A table; on a right-to-left page its columns are mirrored (the first on the right)."""
    order = (lambda cells: list(reversed(cells))) if look.right_to_left else list
    rows = [[look.paragraph(text, look.cell_head) for text in block.header]]
    rows += [[look.paragraph(text, look.cell) for text in row] for row in block.rows]
    _tag_cells(rows, header_rows=1)  # in reading order, whichever side the first column is on
    rows = [order(row) for row in rows]
    pad = look.style.box_padding / 2
    commands = [
        *look.cell_font,
        ("GRID", (0, 0), (-1, -1), look.style.line_width / 2, look.table_grid),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LEFTPADDING", (0, 0), (-1, -1), pad),
        ("RIGHTPADDING", (0, 0), (-1, -1), pad),
        ("TOPPADDING", (0, 0), (-1, -1), pad),
        ("BOTTOMPADDING", (0, 0), (-1, -1), pad),
    ]
    if look.table_header_fill is not None:
        commands.append(("BACKGROUND", (0, 0), (-1, 0), look.table_header_fill))
    return (_ContinuedMirroredTable if look.right_to_left else _ContinuedTable)(
                 rows, colWidths=order([width * share for share in _COLUMN_SHARES[len(block.header)]]),
                 style=TableStyle(commands),
                 # At least two rows on each side of a page break: one row alone under a
                 # repeated header, or left behind, reads as a broken table.
                 rowSplitRange=(1 + _ROWS_KEPT, -_ROWS_KEPT),
                 repeatRows=1, spaceBefore=look.block_gap / 2, spaceAfter=look.block_gap, renderCB=TableTags())


#: The fewest rows (below the header) a table leaves on either side of a page break.
_ROWS_KEPT = 2


class _ContinuedTable(Table):
    """A table that, split across pages, goes on as a table of its own under its header.

    Each page's part is one Table element with its header row as real header cells (TH):
    a reader starting on that page hears the columns named, and a checker looking at the
    page (outloud TBL-014) finds the grid it sees announced as a table there. (Tagged as
    one Table, the repeated header was decoration and the continued grid on the next
    page belonged to an element of the page before.)
    """

    #: The height of a page's text area (set by _story): a table taller than that must
    #: break somewhere, two rows on each side or not.
    page_height = 0.0

    def split(self, availWidth: float, availHeight: float) -> list[Flowable]:
        parts = super().split(availWidth, availHeight)
        if not parts and self._rowSplitRange and self.page_height and self._height > self.page_height + _FUZZ:
            # Too few rows to keep two on each side (three rows: no break allowed at all),
            # yet too tall for any page: break where the page ends rather than fail.
            kept, self._rowSplitRange = self._rowSplitRange, None
            try:
                parts = super().split(availWidth, availHeight)
            finally:
                self._rowSplitRange = kept
        if len(parts) == 2:
            parts[1].page_height = self.page_height
            _tag_as_own_table(parts[1], header_rows=self.repeatRows)
        return parts

    #: Set at the top of a page (_BodyFrame): the header's rule above is its top border.
    under_rule = False

    def _drawLines(self) -> None:
        if not self.under_rule:
            return super()._drawLines()
        drawn = self._linecmds
        self._linecmds = [edge for command in drawn for edge in _without_top_line(command)]
        try:
            super()._drawLines()
        finally:
            self._linecmds = drawn


def _without_top_line(command: tuple) -> list[tuple]:
    """A table's line command without the line along its top row's top edge (a GRID,
    or the LINEABOVE ReportLab makes of one when it splits a table, as its other lines)."""
    op, (sc, sr), (ec, er), *rest = command
    if sr != 0 or op not in ("GRID", "BOX", "OUTLINE", "LINEABOVE"):
        return [command]
    sides = [("LINEBEFORE", (sc, sr), (sc, er), *rest), ("LINEAFTER", (ec, sr), (ec, er), *rest),
             ("LINEBELOW", (sc, er), (ec, er), *rest)]
    if op == "GRID":
        return [("INNERGRID", (sc, sr), (ec, er), *rest), *sides]
    if op in ("BOX", "OUTLINE"):
        return sides
    return [("LINEABOVE", (sc, 1), (ec, er), *rest)] if er >= 1 else []


def _tag_as_own_table(table: Table, header_rows: int) -> None:
    """Give the continued part of a split table its own Table element: its header cells
    drawn again as fresh TH copies, its rows moved under the new element."""
    own = Node("Table")
    for index, row in enumerate(table._cellvalues):
        cells = [cell[0] if isinstance(cell, (list, tuple)) and cell else cell for cell in row]
        if index < header_rows:
            # A new row: the header row's list is shared with the part before the break.
            tr = Node("TR", parent=own)
            twins = []
            for value, cell in zip(row, cells):
                twin = copy.copy(cell)
                twin.node = Node("TH", parent=tr, attributes=dict(cell.node.attributes or {}))
                twins.append(type(value)([twin, *value[1:]]) if isinstance(value, (list, tuple)) else twin)
            table._cellvalues[index] = twins
        elif cells and getattr(cells[0], "node", None) is not None:
            cells[0].node.parent.parent = own  # the row's TR, not drawn yet


class _MirroredTable(Table):
    """A right-to-left table: drawn with its first column on the right, read first column first.

    ReportLab paints a row's cells left to right, which on a right-to-left page is the
    last column first; the structure tree takes its order from painting, and a checker
    (outloud ORD-001) wants content painted in tree order. So each row's cells are held
    back as ReportLab asks for them and painted, right to left, when the row ends.
    """

    def draw(self) -> None:
        held: list[tuple] = []
        render = self._renderCB

        def paint_row() -> None:
            for args in reversed(held):
                Table._drawCell(self, *args)
            held.clear()

        def callback(table, event: str, *args) -> None:
            if event == "endRow":
                paint_row()
            if render is not None:
                render(table, event, *args)

        self._held = held
        self._renderCB = callback
        try:
            super().draw()
            paint_row()  # a table drawn without row events (no callback) still paints all
        finally:
            self._renderCB = render
            del self._held

    def _drawCell(self, cellval, cellstyle, pos, size) -> None:
        held = getattr(self, "_held", None)
        if held is None:
            return super()._drawCell(cellval, cellstyle, pos, size)
        held.append((cellval, cellstyle, pos, size))


class _ContinuedMirroredTable(_ContinuedTable, _MirroredTable):
    """A right-to-left table that goes on as a table of its own on the next page."""


def _tag_cells(rows: list[list[Flowable]], header_rows: int) -> None:
    """Table > TR > TH (column headers, Scope Column) or TD: each cell's node in its row's."""
    table = Node("Table")
    for index, row in enumerate(rows):
        tr = Node("TR", parent=table)
        for cell in row:
            if index < header_rows:
                cell.node = Node("TH", parent=tr, attributes={"O": "Table", "Scope": "Column"})
            else:
                cell.node = Node("TD", parent=tr)


#: markup() of texts every page repeats (content and interface text, never patient data).
_content_markup = lru_cache(maxsize=256)(markup)


def _footer_paragraphs(leaflet: Leaflet, personal: Personal, look: _Look, page: int, total: int) -> list[Paragraph]:
    words = i18n.catalogue(leaflet.language)
    lines = []
    if personal.pharmacy or personal.pharmacy_phone:
        who = ", ".join(rtl.isolated(part, look.right_to_left)
                        for part in (personal.pharmacy, personal.pharmacy_phone) if part)
        lines.append(look.paragraph(words.pharmacy.format(pharmacy=who), look.footer))
    page_number = words.page_number.format(page=words.number(page), total=words.number(total))
    source = look.paragraph(
        f"<b>{_content_markup(page_number, bold=True)}</b>. {_content_markup(leaflet.source_line)} "
        f"{_content_markup(' '.join(filter(None, (leaflet.date_label, leaflet.last_updated))))}.",
        _address_style(look, look.footer_linked, look.footer) if leaflet.source_url else look.footer,
        escaped=True,
    )
    if leaflet.source_url:
        source.addresses = (leaflet.source_url,)
    lines.append(source)
    return lines


# --- Checks ------------------------------------------------------------------------


def _fit(text: str, font: str, size: float, width: float) -> str:
    """A one-line header never runs past the margin: shorten it with an ellipsis."""
    if stringWidth(text, font, size) <= width:
        return text
    while text and stringWidth(text + "\u2026", font, size) > width:
        text = text[:-1]
    return text.rstrip() + "\u2026"


def _too_big(error: LayoutError, style: Style, page_size: str) -> str:
    """ReportLab's message names a flowable's repr; say which text and style instead."""
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", str(error)))
    shown = re.search(r"'([^']{1,60})", text)
    what = f" (starting {shown.group(1)!r})" if shown else ""
    return (f"style {style.name}: a block of text{what} is too large to fit on one {page_size} page; "
            "use smaller sizes or spacing in the style, or shorten the text")


def _refuse_small_print(name: str, made: ParagraphStyle, minimum: float) -> None:
    """No text, bullets included, may print below the style's minimum font size.

    `Style` validates its own sizes; this also catches a style built in code without
    validation, and sizes that layout adds itself.
    """
    for part, size in (("font", made.fontSize), ("bullet", made.bulletFontSize)):
        if size < minimum:
            raise LeafletError(
                f"style: {name} text would print at {size:g} pt {part} size, below the style's "
                f"min_font_size {minimum:g}"
            )


def _refuse_undrawable(personal: Personal) -> None:
    """Names would print as empty boxes otherwise. (Content is checked when validated.)"""
    for what, text in (("patient name", personal.patient_name), ("pharmacy", personal.pharmacy),
                       ("pharmacy phone", personal.pharmacy_phone), ("directions", personal.directions)):
        problem = fonts.cannot_draw(text or "")
        if problem:
            raise LeafletError(f"{what}: {problem}")


# --- Document and canvas -----------------------------------------------------------


class _KeepTogether(KeepTogether):
    """What platypus groups a heading and the block after it in (keepWithNext).

    ReportLab's own deep-copies the page frame every time it measures the group, in case
    a flowable adds content to the frame; none of ours do, so it measures without one.
    """

    def wrap(self, availWidth: float, availHeight: float) -> tuple[float, float]:
        dims: list[tuple[float, float]] = []
        width, self._H = _listWrapOn(self._content, availWidth, None, dims=dims)
        self._H0 = dims[0][1] if dims else 0
        self._wrapInfo = availWidth, availHeight
        return width, 0xFFFFFF  # as KeepTogether does: always asked to split

    def split(self, availWidth: float, availHeight: float) -> list[Flowable]:
        """Fill the page rather than move the whole group on.

        ReportLab's KeepTogether moves a group that does not fit to the next page whole,
        which left a large-print page half empty before a long section. Here a group that
        does not fit is split inside one of its blocks (between a paragraph's lines, a
        table's rows, a box's lines), so a heading still has its first lines (a table
        its header and first two rows) below it, and the rest goes on with the next block.
        Only when no such split exists does it move on whole, as before.
        """
        if getattr(self, "_wrapInfo", None) != (availWidth, availHeight):
            self.wrap(availWidth, availHeight)
        if self._H <= availHeight + _FUZZ:
            return list(self._content)
        return _split_kept(self._content, availWidth, availHeight) or super().split(availWidth, availHeight)


#: As ReportLab's frames allow (a rounding error is not an overflow).
_FUZZ = 1e-6


def _split_kept(content: list[Flowable], width: float, height: float) -> list[Flowable] | None:
    """Split a chain of blocks each kept with the next where most of it fits in height.

    A chain may not break between two of its blocks (that is what keeping with the next
    means), only inside one: the first part ends with the head of a block split by its
    own rules (never a widow or orphan line, a table's header with at least two rows, a
    box's title with a line), and the tail goes on, still kept with what follows.
    Returns None when no block can be split so (the chain then moves on whole).

    Spacing is counted as a frame counts it (overlapAttachedSpace: the space between two
    blocks is the larger of the one's space after and the other's space before).
    """
    rooms: list[float] = []
    heights: list[float] = []
    used = after = 0.0
    for index, flowable in enumerate(content):
        before = max(flowable.getSpaceBefore() - after, 0.0) if index else 0.0
        room = height - used - before
        rooms.append(room)
        _, block = flowable.wrap(width, room)
        heights.append(block)
        if block > room + _FUZZ:
            break
        after = flowable.getSpaceAfter()
        used += before + block + after
    else:
        return list(content)
    last = len(rooms) - 1
    for index in range(last, -1, -1):
        # The block that does not fit is split where the page ends; a block before it
        # (which fits whole) gives up its last lines so that they go on with the next.
        room = rooms[index] if index == last else min(rooms[index], heights[index] - 0.001)
        parts = content[index].split(width, room) if room > 0 else []
        if len(parts) < 2:
            continue
        head, *tail = parts
        rest = [*tail, *content[index + 1:]]
        return [*content[:index], head, _KeepTogether(rest) if len(rest) > 1 else rest[0]]
    return None


class _BodyFrame(Frame):
    """The page's text area, where a table starting a page hangs from the header's rule.

    A frame drops the space before whatever starts it, which suits text (its line's
    leading keeps it off the rule) but put a table's top border (a table going on from
    the page before, its header row repeated) 3 pt under the header's rule: two lines so
    close read as a double rule. Such a table (or a chain kept together that starts with
    one) is set just under the rule instead, which is its top border (`_ContinuedTable.
    under_rule`): one line, as between the rows, and no space lost.
    """

    #: How far the bottom edge of the header's rule is above the frame's top.
    rule_above = 0.0

    def add(self, flowable: Flowable, canv: Canvas, trySplit: int = 0) -> int:
        table = self._table_at_top(flowable)
        if table is None:
            return super()._add(flowable, canv, trySplit)
        self._y += self.rule_above
        table.under_rule = True  # drawn as it is added
        added = super()._add(flowable, canv, trySplit)
        if not added:
            self._y -= self.rule_above
            table.under_rule = False
        return added

    _add = add

    def split(self, flowable: Flowable, canv: Canvas) -> list[Flowable]:
        if self._table_at_top(flowable) is None:
            return super().split(flowable, canv)
        self._y += self.rule_above
        try:
            return super().split(flowable, canv)
        finally:
            self._y -= self.rule_above

    def _table_at_top(self, flowable: Flowable) -> Table | None:
        if not self._atTop or not self.rule_above:
            return None
        while isinstance(flowable, KeepTogether) and flowable._content:
            flowable = flowable._content[0]  # a chain kept together: its first block
        return flowable if isinstance(flowable, _ContinuedTable) else None


class _LeafletDoc(BaseDocTemplate):
    """Turns each marked flowable (section headings, the key points) into a bookmark, and
    measures how full each page is."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.page_fill: list[float] = []

    def handle_pageEnd(self) -> None:
        frame = self.frame
        self.page_fill.append(min(1.0, round((frame._y2 - frame._y) / (frame._y2 - frame._y1), 3)))
        super().handle_pageEnd()

    def afterFlowable(self, flowable: Flowable) -> None:
        title = getattr(flowable, "bookmark", None)
        if title:
            self.canv.add_bookmark(title)


class _DeferredFooterCanvas(TaggingCanvasMixin, Canvas):
    """Holds pages back until the end so each footer can say "Page X of Y".

    One pass instead of platypus' two-pass multiBuild. Bookmarks are kept per page and
    added as the pages are finally written, so they point at the right page. It keeps
    the tagging recorder: the structure tree is written with the pages.
    """

    def __init__(self, *args, draw_footer: Callable[[Canvas, int, int], None], language: str, claims: Claims,
                 **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._held_pages: list[dict] = []
        self._bookmarks: dict[int, list[str]] = {}
        self._draw_footer = draw_footer
        self._language, self._claims = language, claims
        self.tags = Recorder()

    def add_bookmark(self, title: str) -> None:
        self._bookmarks.setdefault(len(self._held_pages), []).append(title)

    def showPage(self) -> None:
        self._held_pages.append(dict(self.__dict__))
        self.tags.next_page()
        self._startPage()

    def save(self) -> None:
        total = self.page_total = len(self._held_pages)
        count = 0
        written: list[tuple[str, object]] = []
        for index, state in enumerate(self._held_pages):
            self.__dict__.update(state)
            for title in self._bookmarks.get(index, ()):
                key = f"section-{count}"
                count += 1
                self.bookmarkPage(key)
                self.addOutlineEntry(title, key, level=0)
            self.tags.page = index  # the footer's marked content belongs to this page
            self._draw_footer(self, index + 1, total)
            name = self._doc.thisPageName()
            Canvas.showPage(self)
            page = self._doc.Pages.pages[-1]
            page.Trans = None  # ReportLab writes an empty page transition, which PDF/A checkers query
            written.append((name, page))
        if count:
            self.showOutline()
        self.tags.write(self._doc, written)
        add_metadata(self._doc, self._language, self._claims)
        if self._claims.pdfa:
            add_output_intent(self._doc)
        # The /ID from everything the pages draw and the metadata: a different patient, a
        # different ID; the same inputs, the same bytes.
        info = self._doc.info
        set_document_id(self._doc, document_id(info.title, info.author, info.subject, info.keywords,
                                               repr(self._claims),
                                               *("\n".join(state["_code"]) for state in self._held_pages)))
        Canvas.save(self)
