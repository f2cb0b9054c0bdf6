"""The schema of a print style (`styles/*.yaml`), checked with pydantic.

Apart from `leaflet.styles`, which finds and loads styles, so that a build whose style
was checked before (`leaflet.checked`) does not import pydantic.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, model_validator

from .model import NonEmpty, Strict

Colour = Annotated[str, Field(pattern=r"^#[0-9a-fA-F]{6}$")]
Points = Annotated[float, Field(gt=0, le=200)]


class TextStyle(Strict):
    font_size: Points
    leading: Points
    space_before: Annotated[float, Field(ge=0, le=200)] = 0
    space_after: Annotated[float, Field(ge=0, le=200)] = 0

    @model_validator(mode="after")
    def _leading_fits(self) -> TextStyle:
        if self.leading < self.font_size:
            raise ValueError("leading must be at least the font size, or lines overlap")
        return self


class Colours(Strict):
    text: Colour = "#000000"
    accent: Colour = "#1f4e79"
    rule: Colour = "#1f4e79"
    box_fill: Colour | None = None
    warning_border: Colour = "#a61b1b"
    warning_fill: Colour | None = None
    table_header_fill: Colour | None = None
    table_grid: Colour = "#666666"


class Style(Strict):
    name: NonEmpty
    description: NonEmpty
    #: No text in the leaflet may print smaller than this.
    min_font_size: Points
    margin_mm: Annotated[float, Field(ge=5, le=50)]
    title: TextStyle
    subtitle: TextStyle
    heading: TextStyle
    subheading: TextStyle
    body: TextStyle
    footer: TextStyle
    #: Indent of bullets and of text inside boxes, in points.
    indent: Annotated[float, Field(ge=0, le=72)] = 14
    box_padding: Annotated[float, Field(ge=0, le=72)] = 8
    line_width: Annotated[float, Field(gt=0, le=10)] = 1
    colours: Colours = Colours()
    #: The organisation that hands the leaflets out: the PDF's Author.
    publisher: NonEmpty | None = None

    @model_validator(mode="after")
    def _nothing_below_minimum(self) -> Style:
        for part in ("title", "subtitle", "heading", "subheading", "body", "footer"):
            size = getattr(self, part).font_size
            if size < self.min_font_size:
                raise ValueError(
                    f"{part}.font_size {size:g} is below this style's min_font_size {self.min_font_size:g}"
                )
        return self
