"""Shared fixtures: build leaflets once per session and read them back with pypdf."""

from __future__ import annotations

import io
import os
import re
import shutil
import tempfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from pypdf import PdfReader

from leaflet.build import Request, render_request
from leaflet.layout import Personal

# Checked files are remembered between runs (leaflet.checked): the tests, and every command
# they run, use a cache of their own, gone at the end, never the user's.
os.environ["LEAFLET_CACHE_DIR"] = CACHE_DIR = tempfile.mkdtemp(prefix="leaflet-test-cache-")


def pytest_sessionfinish(session, exitstatus):
    shutil.rmtree(CACHE_DIR, ignore_errors=True)


ROOT = Path(__file__).resolve().parent.parent
DUPIXENT = ROOT / "content" / "dupixent.yaml"
FIXTURES = Path(__file__).resolve().parent / "fixtures"


def pdf_text(pdf: bytes) -> str:
    """The PDF's text with runs of white space folded, so line breaks don't matter."""
    reader = PdfReader(io.BytesIO(pdf))
    return re.sub(r"\s+", " ", " ".join(page.extract_text() for page in reader.pages))


def long_disclaimer_content(tmp_path: Path) -> Path:
    """The minimal fixture with a disclaimer as long as one text may be (2,000 characters):
    in large print it is taller than a page."""
    long_disclaimer = " ".join(f"Sentence number {n} of the disclaimer." for n in range(1, 53))
    content = tmp_path / "long.yaml"
    content.write_text((FIXTURES / "minimal.yaml").read_text().replace(
        "disclaimer: This is a test leaflet.", f"disclaimer: {long_disclaimer}"))
    return content


class Built:
    def __init__(self, pdf: bytes, pages: int) -> None:
        self.pdf = pdf
        self.pages = pages
        self.text = pdf_text(pdf)
        self.reader = PdfReader(io.BytesIO(pdf))


_cache: dict[tuple, Built] = {}


def build_leaflet(audience: str, content: Path = DUPIXENT, **options) -> Built:
    """Render (cached by its inputs) and read back; options are Request fields."""
    key = (audience, str(content), tuple(sorted(options.items())))
    if key not in _cache:
        rendered = render_request(Request(content, audience, **options))
        _cache[key] = Built(rendered.pdf, rendered.pages)
    return _cache[key]


@pytest.fixture
def leaflet_pdf():
    return build_leaflet


@pytest.fixture
def cli_runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def personal():
    return Personal
