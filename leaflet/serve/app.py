"""The clinic's page and the HTTP API, as one Starlette application.

Routes are small functions over the same pipeline as the CLI: `fields.to_request`
checks a request with the batch's own row checks, `library.render` calls
`build.render_request`. Patient data arrives only in POST bodies, is never logged
(the access log has no query strings and no bodies; errors are logged by type only),
every response is `Cache-Control: no-store`, and nothing is written to disk.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import logging
import re
import secrets
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable
from urllib.parse import parse_qsl

import jinja2
from starlette.applications import Starlette
from starlette.datastructures import Headers, MutableHeaders
from starlette.requests import Request as HttpRequest
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from .. import __version__
from ..build import Request
from ..layout import Rendered
from . import fields as request_fields
from .library import Busy, Library, RenderPool, previews, render, render_processes, render_thread
from .openapi import openapi

log = logging.getLogger("leaflet.serve")
HERE = Path(__file__).resolve().parent

CSRF_COOKIE = "leaflet_csrf"
SESSION_COOKIE = "leaflet_session"
RETRY_AFTER_BUSY = 1
RETRY_AFTER_TIMEOUT = 5


@dataclass(frozen=True)
class Settings:
    content_dir: Path
    #: Required when listening on anything but loopback (checked by server.run).
    token: str | None = None
    #: Render processes; 0 renders in a thread of the server's own process.
    workers: int = 0
    #: Requests in the render pool at once, rendering or waiting; more get 503.
    capacity: int = 32
    #: Seconds a request may take, from its first byte to its answer.
    timeout: float = 10.0
    #: Bytes a request body may have.
    max_body: int = 64 * 1024
    warm_up: bool = True
    #: Host headers accepted; empty accepts any (a token guards the server then).
    allowed_hosts: tuple[str, ...] = field(default=())


# --- Responses ---------------------------------------------------------------------------

_TITLES = {400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found",
           405: "Method Not Allowed", 413: "Content Too Large", 415: "Unsupported Media Type",
           422: "Unprocessable Content", 500: "Internal Server Error", 503: "Service Unavailable"}


def _for_whom(audience: str) -> str:
    from ..tailor import AUDIENCES

    label = AUDIENCES[audience].label.replace("\u00a0", " ")
    return label[:1].lower() + label[1:]


def problem(status: int, detail: str, headers: dict[str, str] | None = None, **extra: Any) -> JSONResponse:
    """An RFC 9457 problem details response; `detail` is the CLI's wording."""
    body = {"type": "about:blank", "title": _TITLES.get(status, "Error"), "status": status, "detail": detail, **extra}
    return JSONResponse(body, status, headers=headers, media_type="application/problem+json")


def _problems_response(problems: list[request_fields.Problem]) -> JSONResponse:
    return problem(422, "; ".join(p.message for p in problems),
                   errors=[{"field": p.field, "detail": p.message} for p in problems])


def _busy_headers() -> dict[str, str]:
    return {"Retry-After": str(RETRY_AFTER_BUSY)}


BUSY_MESSAGE = "the server is busy rendering other leaflets; try again in a moment"


# --- Guard: limits, headers, access log ------------------------------------------------


class _TooLarge(Exception):
    pass


class Guard:
    """Pure ASGI middleware around every request: the body size limit, the request's
    timeout, security headers, and an access log with no query string and no body."""

    def __init__(self, app: Callable, settings: Settings) -> None:
        self.app = app
        self.settings = settings

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        answered = {"status": 0}
        limit = self.settings.max_body

        async def send_with_headers(message) -> None:
            if message["type"] == "http.response.start":
                answered["status"] = message["status"]
                headers = MutableHeaders(scope=message)
                if "cache-control" not in headers:
                    headers["Cache-Control"] = "no-store"
                headers["X-Content-Type-Options"] = "nosniff"
                headers["Referrer-Policy"] = "no-referrer"
                if headers.get("content-type", "").startswith("text/html"):
                    headers["Content-Security-Policy"] = (
                        "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
                        "frame-ancestors 'none'; base-uri 'none'")
                    headers["X-Frame-Options"] = "DENY"
            await send(message)

        received = 0

        async def counted_receive():
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise _TooLarge()
            return message

        async def answer(response: Response) -> None:
            if not answered["status"]:
                await response(scope, receive, send_with_headers)

        headers = Headers(scope=scope)
        try:
            length = headers.get("content-length")
            host = _host_name(headers.get("host", ""))
            if self.settings.allowed_hosts and host not in self.settings.allowed_hosts:
                await answer(problem(400, "this server answers only to its own address (Host header)"))
            elif length is not None and (not length.isdigit() or int(length) > limit):
                await answer(problem(413, f"the request body is larger than {limit:,} bytes"))
            else:
                async with asyncio.timeout(self.settings.timeout):
                    await self.app(scope, counted_receive, send_with_headers)
        except _TooLarge:
            await answer(problem(413, f"the request body is larger than {limit:,} bytes"))
        except TimeoutError:
            await answer(problem(503, f"the request took longer than {self.settings.timeout:g} s",
                                 {"Retry-After": str(RETRY_AFTER_TIMEOUT)}))
        except Exception as error:  # noqa: BLE001 - logged by type only: its message may hold patient data
            log.error("%s %s: %s", scope["method"], scope["path"], type(error).__name__)
            await answer(problem(500, "the server failed to answer; the error is in its log"))
        finally:
            log.info("%s %s %d %.1f ms", scope["method"], scope["path"], answered["status"],
                     (time.perf_counter() - started) * 1000)


def _host_name(host: str) -> str:
    """The Host header without its port ("[::1]:8000" -> "[::1]")."""
    if host.startswith("["):
        return host[: host.find("]") + 1]
    return host.split(":", 1)[0]


# --- Access: token sign-in and cross-site request protection -------------------------


def _session_value(token: str) -> str:
    return hmac.new(token.encode(), b"leaflet serve session", hashlib.sha256).hexdigest()


def _signed_in(request: HttpRequest, token: str | None) -> bool:
    if token is None:
        return True
    given = request.headers.get("authorization", "")
    if given.lower().startswith("bearer ") and hmac.compare_digest(given[7:].strip().encode(), token.encode()):
        return True
    cookie = request.cookies.get(SESSION_COOKIE, "")
    return hmac.compare_digest(cookie.encode(), _session_value(token).encode())


def _cross_site(request: HttpRequest) -> bool:
    return request.headers.get("sec-fetch-site", "") == "cross-site"


async def _form(request: HttpRequest) -> dict[str, str] | None:
    """The urlencoded form, or None when it is another kind of body (parsed here, in
    memory: no multipart parser, so nothing is ever spooled to a temporary file)."""
    if request.headers.get("content-type", "").split(";")[0].strip() != "application/x-www-form-urlencoded":
        return None
    body = await request.body()
    try:
        return request_fields.from_form(parse_qsl(body.decode("utf-8"), keep_blank_values=True,
                                                  max_num_fields=500))
    except (UnicodeDecodeError, ValueError):
        return None


def _csrf_ok(request: HttpRequest, form: dict[str, str]) -> bool:
    cookie = request.cookies.get(CSRF_COOKIE, "")
    given = form.get("csrf_token", "")
    return bool(cookie) and not _cross_site(request) and hmac.compare_digest(cookie.encode(), given.encode())


def _set_cookie(response: Response, request: HttpRequest, name: str, value: str) -> None:
    response.set_cookie(name, value, httponly=True, samesite="strict", path="/",
                        secure=request.url.scheme == "https")


# --- The application ---------------------------------------------------------------------


def create_app(settings: Settings, library: Library | None = None,
               render_work: Callable[[Request, bool], tuple[Rendered, list[bytes]]] | None = None) -> Guard:
    """The ASGI application. It checks requests against its own Library; the render
    workers load content, styles and fonts once each. `render_work` replaces the render
    (tests use it to make a slow one)."""
    library = library or Library(settings.content_dir)
    if settings.workers:
        pool = RenderPool(settings.capacity, render_processes(settings.workers, settings.content_dir,
                                                              settings.warm_up))
    else:
        if settings.warm_up:
            library.warm_up()
        pool = RenderPool(settings.capacity, render_thread)
    work = render_work or render_work_default
    templates = jinja2.Environment(loader=jinja2.FileSystemLoader(HERE / "templates"),
                                   autoescape=True, undefined=jinja2.StrictUndefined)
    form_fields = request_fields.fields()
    spec = openapi(form_fields, library)

    def page(request: HttpRequest, template: str, status: int = 200, **context: Any) -> HTMLResponse:
        csrf = request.cookies.get(CSRF_COOKIE) or secrets.token_urlsafe(32)
        html = templates.get_template(template).render(
            csrf_token=csrf, version=__version__, fields=form_fields, library=library, **context)
        response = HTMLResponse(html, status)
        if request.cookies.get(CSRF_COOKIE) != csrf:
            _set_cookie(response, request, CSRF_COOKIE, csrf)
        return response

    def form_page(request: HttpRequest, status: int = 200, values: dict[str, str] | None = None,
                  problems: list[request_fields.Problem] | None = None, **context: Any) -> HTMLResponse:
        order = {None: -1, **{f.name: index for index, f in enumerate(form_fields)}}
        problems = sorted(problems or [], key=lambda p: order.get(p.field, len(order)))  # as the form reads
        problems = [request_fields.labelled(each) for each in problems]
        by_field: dict[str, list[str]] = {}
        for each in problems:
            by_field.setdefault(each.field or "", []).append(each.message)
        defaults = {"style": "standard", "page_size": "a4"}
        if len(library.medicines) == 1:
            defaults["medicine"] = next(iter(library.medicines))
        context = {"rendered": None, "medicine": None, "audience": None, "audience_label": None, "images": [],
                   **context}
        first_error = next((p.field for p in problems if p.field), None)
        values = {**defaults, **(values or {})}
        ticked = {part for part in re.split(r"[;,\s]+", values.get("uses", "")) if part}
        return page(request, "page.html", status, values=values, problems=problems, ticked=ticked,
                    uses=request_fields.uses_by_medicine(library), first_error=first_error,
                    errors=by_field, choices={f.name: f.choices(library) for f in form_fields if f.choices},
                    **context)

    def sign_in_page(request: HttpRequest, status: int = 200, error: str | None = None) -> HTMLResponse:
        return page(request, "sign-in.html", status, error=error, problems=[])

    def refused(request: HttpRequest) -> HTMLResponse:
        return page(request, "refused.html", 403)

    async def home(request: HttpRequest) -> Response:
        if not _signed_in(request, settings.token):
            return sign_in_page(request)
        return form_page(request)

    async def from_the_page(request: HttpRequest, with_previews: bool
                            ) -> tuple[dict[str, str], Request, tuple[Rendered, list[bytes]]] | Response:
        """A form from the page: checked for CSRF, sign-in and its fields, then rendered;
        or the page to answer with instead."""
        form = await _form(request)
        if form is None or not _csrf_ok(request, form):
            return refused(request)
        if not _signed_in(request, settings.token):
            return sign_in_page(request, 401)
        values = {name: form.get(name, "") for name in request_fields.field_names()}
        leaflet_request, problems = request_fields.to_request(values, library)
        if leaflet_request is None:
            return form_page(request, 422, values, problems)
        try:
            made = await pool.run(work, leaflet_request, with_previews)
        except Busy:
            response = form_page(request, 503, values, [request_fields.Problem(None, BUSY_MESSAGE)])
            response.headers.update(_busy_headers())
            return response
        return {**form, **values}, leaflet_request, made

    async def submit(request: HttpRequest) -> Response:
        """The nurse's form: check it, render it, show the pages as pictures."""
        done = await from_the_page(request, with_previews=True)
        if isinstance(done, Response):
            return done
        values, leaflet_request, (rendered, images) = done
        return form_page(request, 200, {name: values[name] for name in request_fields.field_names()},
                         rendered=rendered, medicine=library.medicines[values["medicine"].strip()],
                         audience=leaflet_request.audience,
                         # "for adults aged 18 and over", not "for the adult audience": the nurse's words
                         audience_label=_for_whom(leaflet_request.audience),
                         images=[base64.b64encode(image).decode("ascii") for image in images])

    async def form_pdf(request: HttpRequest) -> Response:
        """Download or Print from the page: the PDF, from the same fields in a POST body."""
        done = await from_the_page(request, with_previews=False)
        if isinstance(done, Response):
            return done
        form, leaflet_request, (rendered, _) = done
        disposition = "inline" if form.get("disposition") == "inline" else "attachment"
        return _pdf_response(rendered, library, leaflet_request, disposition)

    async def sign_in(request: HttpRequest) -> Response:
        form = await _form(request)
        if form is None or not _csrf_ok(request, form):
            return refused(request)
        if settings.token is None:
            return RedirectResponse("/", 303)
        if not hmac.compare_digest(form.get("token", "").encode(), settings.token.encode()):
            return sign_in_page(request, 401, "token: not the token this server was started with")
        response = RedirectResponse("/", 303)
        _set_cookie(response, request, SESSION_COOKIE, _session_value(settings.token))
        return response

    async def api_leaflets(request: HttpRequest) -> Response:
        if not _signed_in(request, settings.token):
            return problem(401, "give the server's token as 'Authorization: Bearer TOKEN'",
                           {"WWW-Authenticate": "Bearer"})
        if _cross_site(request):
            return problem(403, "cross-site requests are refused")
        if request.headers.get("content-type", "").split(";")[0].strip() != "application/json":
            return problem(415, "send the request as JSON (Content-Type: application/json)")
        if pool.full:  # refuse before reading and checking the body: an overload costs little
            return problem(503, BUSY_MESSAGE, _busy_headers())
        try:
            data = json.loads(await request.body())
        except (ValueError, UnicodeDecodeError) as error:
            return problem(400, f"the body is not valid JSON ({type(error).__name__})")
        if not isinstance(data, dict):
            return problem(400, "the body must be a JSON object whose keys are field names "
                                f"({', '.join(request_fields.field_names())})")
        leaflet_request, problems = request_fields.to_request(data, library)
        if leaflet_request is None:
            return _problems_response(problems)
        try:
            rendered, _ = await pool.run(work, leaflet_request, False)
        except Busy:
            return problem(503, BUSY_MESSAGE, _busy_headers())
        return _pdf_response(rendered, library, leaflet_request, "attachment")

    async def api_medicines(request: HttpRequest) -> Response:
        if not _signed_in(request, settings.token):
            return problem(401, "give the server's token as 'Authorization: Bearer TOKEN'",
                           {"WWW-Authenticate": "Bearer"})
        return JSONResponse([medicine.describe() for medicine in library.medicines.values()])

    async def healthz(request: HttpRequest) -> Response:
        healthy = bool(library.medicines)
        return JSONResponse({"status": "ok" if healthy else "no medicines", "version": __version__,
                             "medicines": len(library.medicines), "content_left_out": len(library.skipped),
                             "rendering": pool.in_flight, "capacity": pool.capacity},
                            200 if healthy else 503)

    uses_css = _uses_css(library)

    async def medicines_css(request: HttpRequest) -> Response:
        return Response(uses_css, media_type="text/css")

    async def openapi_json(request: HttpRequest) -> Response:
        return JSONResponse(spec)

    async def not_found(request: HttpRequest, _exc) -> Response:
        if request.url.path.startswith("/api/"):
            return problem(404, f"no such endpoint: {request.url.path}")
        return page(request, "not-found.html", 404)

    async def not_allowed(request: HttpRequest, _exc) -> Response:
        return problem(405, f"{request.method} is not allowed on {request.url.path}")

    async def too_large(request: HttpRequest, _exc) -> Response:
        return problem(413, f"the request body is larger than {settings.max_body:,} bytes")

    async def failed(request: HttpRequest, error: Exception) -> Response:
        """Any other error: logged by type only by the Guard (its message may hold patient data)."""
        return problem(500, "the server failed to answer; the error is in its log")

    app = Starlette(
        routes=[
            Route("/", home, methods=["GET"]),
            Route("/", submit, methods=["POST"]),
            Route("/leaflet.pdf", form_pdf, methods=["POST"]),
            Route("/sign-in", sign_in, methods=["POST"]),
            Route("/api/leaflets", api_leaflets, methods=["POST"]),
            Route("/api/medicines", api_medicines, methods=["GET"]),
            Route("/healthz", healthz, methods=["GET"]),
            Route("/openapi.json", openapi_json, methods=["GET"]),
            Route("/medicines.css", medicines_css, methods=["GET"]),
            Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
        ],
        exception_handlers={404: not_found, 405: not_allowed, _TooLarge: too_large, 500: failed},
        lifespan=_lifespan(pool, settings.workers),
    )
    app.state.pool = pool
    app.state.library = library
    return Guard(app, settings)


def _lifespan(pool: RenderPool, workers: int):
    from contextlib import asynccontextmanager

    @asynccontextmanager
    async def lifespan(_app):
        # start every render process now (each loads and warms up), not on the first requests
        await asyncio.gather(*(pool.run(_ready) for _ in range(min(workers, pool.capacity))))
        yield
        pool.close()  # renders in hand finish; none start after a stop

    return lifespan


def _uses_css(library: Library) -> str:
    """Shows only the chosen medicine's boxes of uses, with no script: CSS `:has()`. A
    browser without it shows every medicine's boxes, and only the chosen one's count."""
    rules = [f'  form:has(#field-medicine option[value="{id}"]:checked) .uses[data-medicine="{id}"] '
             "{ display: block; }" for id in library.medicines if re.fullmatch(r"[A-Za-z0-9_-]+", id)]
    return "@supports selector(:has(a)) {\n  .uses { display: none; }\n" + "\n".join(rules) + "\n}\n"


def _ready() -> bool:
    return True


def render_work_default(request: Request, with_previews: bool) -> tuple[Rendered, list[bytes]]:
    """What a render worker does for one request: the PDF, and the page's pictures of it."""
    rendered = render(request)
    return rendered, (previews(rendered.pdf) if with_previews else [])


def _pdf_response(rendered: Rendered, library: Library, request: Request, disposition: str) -> Response:
    name = request_fields.download_name(library, request)
    return Response(rendered.pdf, media_type="application/pdf",
                    headers={"Content-Disposition": f'{disposition}; filename="{name}"',
                             "X-Leaflet-Pages": str(rendered.pages)})
