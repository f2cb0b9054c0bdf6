"""Print styles: YAML files in `styles/`, validated like content.

A style sets sizes, spacing and colours; it declares its own minimum font size and is
refused if any text it sets would print below it.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from reportlab.lib.pagesizes import A4, LETTER

from .checked import load_checked
from .errors import LeafletError

if TYPE_CHECKING:  # a checked style arrives as a record (leaflet.records) with these fields
    from .style_model import Style


def _style_dir() -> Path:
    """styles/ in a checkout, or its copy inside an installed package."""
    installed = Path(__file__).resolve().parent / "builtin_styles"
    if installed.is_dir():
        return installed
    return Path(__file__).resolve().parent.parent / "styles"


STYLE_DIR = _style_dir()

PAGE_SIZES = {"a4": A4, "letter": LETTER}


def available_styles() -> list[str]:
    return sorted(path.stem for path in STYLE_DIR.glob("*.yaml"))


def load_style(name_or_path: str) -> Style:
    """A style by name (from styles/) or by path to a YAML file."""
    looks_like_path = name_or_path.endswith((".yaml", ".yml")) or "/" in name_or_path
    if looks_like_path:
        path = Path(name_or_path)
    else:
        path = STYLE_DIR / f"{name_or_path.strip().lower()}.yaml"
        if not path.is_file():
            raise LeafletError(
                f"unknown style {name_or_path!r} (choose from: {', '.join(available_styles())}, "
                "or give a path to a .yaml style file)"
            )
    return load_checked(path, "style", _check)


def _check(loaded):
    from .style_model import Style as Schema
    from .validate import validate

    return validate(loaded, Schema)
