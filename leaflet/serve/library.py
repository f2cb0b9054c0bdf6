"""What one server worker process holds: the medicines, loaded once, and its render pool.

Content, styles and fonts are loaded once per worker (through the batch's own memos,
`manifest.loaded_content` and `loaded_style`), and each render calls the CLI's
`build.render_request` with them, so a served PDF has the CLI's bytes.
"""

from __future__ import annotations

import asyncio
import dataclasses
import io
import logging
import os
import signal
import sys
import threading
from concurrent.futures import Executor, Future, ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures import BrokenExecutor
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
    #: Language codes it has content in: its own, then translations (`<id>.<code>.yaml`).
    languages: tuple[str, ...] = ()

    @property
    def title(self) -> str:
        return self.content.title

    @property
    def uses(self) -> list:
        return list(self.content.uses.items) if self.content.uses else []

    def describe(self) -> dict[str, Any]:
        """What GET /api/medicines says about it."""
        return {
            "id": self.id,
            "name": self.content.name,
            "title": self.content.title,
            "brands": list(self.content.medicine.brands),
            "generic": self.content.medicine.generic,
            "language": self.content.language,
            "languages": list(self.languages),
            "audiences": list(self.audiences),
            "uses": [{"id": use.id, "name": use.name,
                      "min_age_years": use.applies.min_age_years,
                      "max_age_years": use.applies.max_age_years,
                      "min_weight_kg": use.applies.min_weight_kg}
                     for use in self.uses],
        }


def translation_of(path: Path) -> tuple[Path, str | None]:
    """dupixent.es.yaml -> (dupixent.yaml, "es"): a translation, by its file name."""
    parts = path.name.split(".")
    if len(parts) >= 3 and 2 <= len(parts[-2]) <= 5 and parts[-2].replace("-", "").isalpha():
        return path.with_name(".".join(parts[:-2] + parts[-1:])), parts[-2]
    return path, None


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
        translations: dict[str, list[str]] = {}
        for path in sorted(self.content_dir.glob("*.yaml")):
            base, code = translation_of(path)
            if code is not None and base.is_file():  # offered as a language of its medicine
                translations.setdefault(base.stem, []).append(code)
                continue
            try:
                content = loaded_content(path)[0]
            except LeafletError as error:
                self.skipped.append(error.message)
                log.warning("leaflet serve: left out %s", error.message)
                continue
            self.medicines[path.stem] = Medicine(path.stem, path, content, _audiences(content))
        for id, medicine in self.medicines.items():
            languages = (medicine.content.language, *translations.get(id, []))
            self.medicines[id] = dataclasses.replace(medicine, languages=tuple(dict.fromkeys(languages)))
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
    """Every render slot is taken: answer 503 at once, never queue more."""


def _worker_start(content_dir: str, warm_up: bool) -> None:
    """In each render process: load content, styles and fonts once, and leave stopping to
    the server (Ctrl-C and SIGTERM reach the whole process group; the server lets the
    renders in hand finish, then shuts the pool down)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    # Renders yield the CPU to the HTTP process, so that it keeps answering (503s, /healthz)
    # however busy the renders are.
    os.nice(5)
    if sys.platform.startswith("linux"):
        try:  # if the server is killed outright, the kernel ends its render processes too
            import ctypes

            ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG
        except (OSError, AttributeError):
            pass
    library = Library(Path(content_dir))
    if warm_up:
        library.warm_up()


def render_processes(workers: int, content_dir: Path, warm_up: bool = True) -> Callable[[], Executor]:
    """Makes the pool of `workers` render processes (spawned: nothing of the server's
    threads or sockets is copied into them)."""
    import multiprocessing

    def make() -> Executor:
        return ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"),
                                   initializer=_worker_start, initargs=(str(content_dir), warm_up))

    return make


def render_thread() -> Executor:
    """One render thread in the server's own process (--workers 0, and the tests)."""
    return ThreadPoolExecutor(max_workers=1, thread_name_prefix="leaflet-render")


class RenderPool:
    """The render workers, and at most `capacity` requests in them at once (rendering or
    waiting). A request past that is refused with Busy rather than queued.

    A request that gives up (its timeout) keeps its slot until its render really ends,
    so a stuck render cannot let unbounded work pile up behind it. A pool broken by a
    worker that died (killed, out of memory) is replaced, and its requests get Busy.
    """

    def __init__(self, capacity: int, make_executor: Callable[[], Executor]) -> None:
        self.capacity = capacity
        self.in_flight = 0
        self._make_executor = make_executor
        self._executor = make_executor()
        self._lock = threading.Lock()

    @property
    def full(self) -> bool:
        return self.in_flight >= self.capacity

    async def run(self, work: Callable[..., Any], *args: Any) -> Any:
        with self._lock:
            if self.in_flight >= self.capacity:
                raise Busy()
            self.in_flight += 1
        executor = self._executor
        try:
            future: Future = executor.submit(work, *args)
        except BaseException as error:
            self._release(None)
            if isinstance(error, BrokenExecutor):
                self._replace(executor)
                raise Busy() from None
            raise
        future.add_done_callback(self._release)
        try:
            return await asyncio.wrap_future(future)
        except BrokenExecutor:
            self._replace(executor)
            raise Busy() from None

    def _replace(self, broken: Executor) -> None:
        with self._lock:
            if self._executor is broken:
                log.error("leaflet serve: a render worker died; starting a new pool")
                self._executor = self._make_executor()
        broken.shutdown(wait=False, cancel_futures=True)

    def _release(self, _future: Future | None) -> None:
        with self._lock:
            self.in_flight -= 1

    def close(self) -> None:
        self._executor.shutdown(wait=True, cancel_futures=True)
