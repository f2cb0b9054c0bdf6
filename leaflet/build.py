"""The pipeline in one place: load -> validate -> tailor -> layout -> write.

The CLI and the batch runner both call these functions, so a leaflet built alone and
one built in a batch are made the same way.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from .checked import load_content
from .layout import Personal, Rendered, render
from .styles import load_style
from .tailor import Leaflet, make_reader, tailor
from .translation import refuse_unreviewed
from .write import remove_temporaries, write_atomic

if TYPE_CHECKING:  # checked files arrive as records (leaflet.records) with these models' fields
    from .model import Content
    from .style_model import Style


@dataclass(frozen=True)
class Request:
    """Everything that decides a leaflet's bytes."""

    content: Path
    audience: str
    patient_age: float | None = None
    patient_weight: float | None = None
    style: str = "standard"
    page_size: str = "a4"
    personal: Personal = Personal()
    #: The uses (conditions) prescribed for, by id; empty: every use that applies.
    uses: tuple[str, ...] = ()
    #: Also PDF/A-2a (archival): an sRGB output intent and the pdfaid claim.
    pdfa: bool = False


def tailored(content: Content, request: Request) -> Leaflet:
    reader = make_reader(request.audience, request.patient_age, request.patient_weight, request.uses or None)
    return tailor(content, reader)


def render_request(request: Request, content: Content | None = None, style: Style | None = None) -> Rendered:
    """Render to bytes; pass already-loaded content and style to skip reloading them."""
    content = content or load_content(request.content)
    style = style or load_style(request.style)
    return render(tailored(content, request), style, request.page_size, request.personal, pdfa=request.pdfa)


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", unicodedata.normalize("NFKD", text).lower()).strip("-")


def default_output(content: Content, audience: str, out_dir: Path = Path("output"), style: str = "standard",
                   page_size: str = "a4", patient_age: float | None = None, patient_weight: float | None = None,
                   uses: tuple[str, ...] = ()) -> Path:
    """output/<medicine>[-<language>]-<audience>[-age-<years>][-<kg>kg][-<use>...][-<style>][-<page size>].pdf,
    the first brand (or the generic name) made safe for a file name; a language other than
    English, a leaflet narrowed to a patient's age, weight or uses, a style or page size
    other than the default is in the name, so no variant replaces another (a leaflet for a
    3-year-old never replaces the caregiver leaflet for every child)."""
    parts = [_slug(content.name) or "leaflet", *([content.language.lower()] if content.language != "en" else []),
             audience]
    if patient_age is not None:
        parts.append(f"age-{patient_age:g}")
    if patient_weight is not None:
        parts.append(f"{patient_weight:g}kg")
    parts.extend(_slug(use) or "use" for use in sorted(uses))
    if style.strip().lower() != "standard":
        parts.append(_slug(Path(style).stem) or "style")
    if page_size.lower() != "a4":
        parts.append(_slug(page_size))
    return out_dir / f"{'-'.join(parts)}.pdf"


def with_pdf_suffix(path: Path) -> Path:
    """`-o handout` writes handout.pdf: a PDF without the suffix opens in nothing."""
    return path if path.suffix.lower() == ".pdf" else path.with_name(f"{path.name}.pdf")


def build(request: Request, output: Path | None = None, strict: bool = False) -> tuple[Path, Rendered]:
    """Build and write one leaflet; strict refuses a translation not yet reviewed."""
    content = load_content(request.content)
    if strict:
        refuse_unreviewed(content, request.content)
    rendered = render_request(request, content=content)
    if output is None:
        path = default_output(content, request.audience, style=request.style, page_size=request.page_size,
                              patient_age=request.patient_age, patient_weight=request.patient_weight,
                              uses=request.uses)
    else:
        path = output if output.is_dir() or output.exists() else with_pdf_suffix(output)
    remove_temporaries(path)  # what an earlier build of this file left when it was killed
    return write_atomic(path, rendered.pdf), rendered
