"""What one server worker process holds: the medicines, loaded once, and its render pool.

Content, styles and fonts are loaded once per worker (through the batch's own memos,
`manifest.loaded_content` and `loaded_style`), and each render calls the CLI's
`build.render_request` with them, so a served PDF has the CLI's bytes.
"""

from __future__ import annotations

import asyncio
import io
import logging
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from .. import fonts
from ..build import Request, render_request
from ..errors import LeafletError
from ..layout import Rendered
from ..manifest import loaded_content, loaded_style
from ..model import Content
from ..styles import available_styles
from ..tailor import AUDIENCES, make_reader, tailor

log = logging.getLogger("leaflet.serve")


def shipped_content_dir() -> Path:
    """content/ in a checkout, or its copy inside an installed package (as for styles/)."""
    installed = Path(__file__).resolve().parent.parent / "builtin_content"
    if installed.is_dir() and any(installed.glob("*.yaml")):
        return installed
    return Path(__file__).resolve().parent.parent.parent / "content"


@dataclass(frozen=True)
class Medicine:
    id: str  # the content file's name without .yaml
    path: Path
    content: Content
    #: Audiences with at least one use that applies to them.
    audiences: tuple[str, ...]

    @property
    def title(self) -> str:
        return f"{self.content.medicine.brand} ({self.content.medicine.generic})"

    def describe(self) -> dict[str, Any]:
        """What GET /api/medicines says about it."""
        return {
            "id": self.id,
            "brand": self.content.medicine.brand,
            "generic": self.content.medicine.generic,
            "language": self.content.language,
            "audiences": list(self.audiences),
            "uses": [{"id": use.id, "name": use.name,
                      "min_age_years": use.applies.min_age_years,
                      "max_age_years": use.applies.max_age_years,
                      "min_weight_kg": use.applies.min_weight_kg}
                     for use in self.content.uses.items],
        }


def _audiences(content: Content) -> tuple[str, ...]:
    found = []
    for name in AUDIENCES:
        try:
            tailor(content, make_reader(name))
        except LeafletError:
            continue
        found.append(name)
    return tuple(found)


class Library:
    """Every content file in a folder, validated once; files with problems are left out
    (and logged by file name), so one bad file does not stop the clinic's page."""

    def __init__(self, content_dir: Path) -> None:
        self.content_dir = content_dir.resolve()
        self.medicines: dict[str, Medicine] = {}
        self.skipped: list[str] = []
        if not self.content_dir.is_dir():
            raise LeafletError(f"{content_dir}: no such folder of content files")
        for path in sorted(self.content_dir.glob("*.yaml")):
            try:
                content = loaded_content(path)[0]
            except LeafletError as error:
                self.skipped.append(error.message)
                log.warning("leaflet serve: left out %s", error.message)
                continue
            self.medicines[path.stem] = Medicine(path.stem, path, content, _audiences(content))
        for name in available_styles():
            loaded_style(name)
        fonts.register_fonts()

    def warm_up(self) -> None:
        """Render each medicine once, so the first clinic request is not the slow one."""
        for medicine in self.medicines.values():
            for audience in medicine.audiences[:1]:
                render(Request(medicine.path, audience))


def render(request: Request) -> Rendered:
    """The CLI's render, with this worker's loaded content and style."""
    return render_request(request, content=loaded_content(request.content)[0],
                          style=loaded_style(request.style)[0])


def previews(pdf: bytes, scale: float = 1.25) -> list[bytes]:
    """Each page as a PNG, drawn in memory by PDFium (pypdfium2 ships it in its wheel;
    nothing here runs poppler or writes a file)."""
    import pypdfium2
    from PIL import Image

    document = pypdfium2.PdfDocument(pdf)
    try:
        images = []
        for index in range(len(document)):
            page = document[index]
            try:
                bitmap = page.render(scale=scale)
                buffer = io.BytesIO()
                # 16 colours: a quarter of the bytes of full colour, and the text stays sharp
                bitmap.to_pil().quantize(16, method=Image.Quantize.FASTOCTREE).save(buffer, "PNG")
                images.append(buffer.getvalue())
            finally:
                page.close()
        return images
    finally:
        document.close()


class Busy(Exception):
    """Every render slot of this worker is taken: answer 503 at once, never queue more."""


class RenderPool:
    """One render thread per worker process, and at most `capacity` requests in it
    (running or waiting). A request past that is refused with Busy rather than queued.

    A request that gives up (its timeout) keeps its slot until its render really ends,
    so a stuck render cannot let unbounded work pile up behind it.
    """

    def __init__(self, capacity: int = 4) -> None:
        self.capacity = capacity
        self.in_flight = 0
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="leaflet-render")
        self._lock = threading.Lock()

    async def run(self, work: Callable[..., Any], *args: Any) -> Any:
        with self._lock:
            if self.in_flight >= self.capacity:
                raise Busy()
            self.in_flight += 1
        try:
            future: Future = self._executor.submit(work, *args)
        except BaseException:
            self._release(None)
            raise
        future.add_done_callback(self._release)
        return await asyncio.wrap_future(future)

    def _release(self, _future: Future | None) -> None:
        with self._lock:
            self.in_flight -= 1

    def close(self) -> None:
        self._executor.shutdown(wait=True, cancel_futures=True)
