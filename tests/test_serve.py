"""`leaflet serve` in-process: the API and the form's server side, limits and safe defaults.

The real server (uvicorn, signals, logs) is tested in test_serve_process.py and the page in
a real browser in test_serve_browser.py.
"""

from __future__ import annotations

import asyncio
import csv
import json
import re
from markupsafe import escape as html_escape
import threading
import time
import warnings
from pathlib import Path
from urllib.parse import urlencode

import httpx
import pytest
from pypdf import PdfReader

from conftest import DUPIXENT, ROOT, pdf_text
from leaflet import manifest
from leaflet.cli import cli
from leaflet.errors import LeafletError
from leaflet.serve import fields as request_fields
from leaflet.serve.app import Settings, create_app
from leaflet.serve.library import Library, previews, render
from leaflet.serve.server import check_access
from serving import batch_words

with warnings.catch_warnings():  # Starlette 1.x would rather have httpx2, which is not needed here
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

CONTENT = ROOT / "content"
#: The medicine ids the server offers: content files, translations (<id>.<language>.yaml) aside.
MEDICINES = ", ".join(sorted(path.stem for path in CONTENT.glob("*.yaml") if "." not in path.stem))


@pytest.fixture(scope="module")
def library() -> Library:
    return Library(CONTENT)


@pytest.fixture(scope="module")
def client(library):
    with TestClient(create_app(Settings(CONTENT, warm_up=False), library=library)) as test_client:
        yield test_client


def csrf(client: TestClient) -> str:
    client.get("/")
    return client.cookies["leaflet_csrf"]


def api(client: TestClient, body) -> httpx.Response:
    return client.post("/api/leaflets", json=body)


# --- The same pipeline, the same bytes, the same words -----------------------------------


def test_the_api_pdf_has_the_cli_build_bytes(client, cli_runner, tmp_path):
    out = tmp_path / "cli.pdf"
    result = cli_runner.invoke(cli, ["build", str(DUPIXENT), "-a", "caregiver", "--patient-age", "4",
                                     "--patient-weight", "16", "--style", "large-print", "--page-size", "letter",
                                     "--use", "eczema", "--patient-name", "Zoë Martin",
                                     "--directions", "One injection every 4 weeks.", "-o", str(out)])
    assert result.exit_code == 0, result.output
    response = api(client, {"medicine": "dupixent", "audience": "caregiver", "patient_age": 4, "patient_weight": "16",
                            "style": "large-print", "page_size": "letter", "uses": ["eczema"],
                            "patient_name": "Zoë Martin", "directions": "One injection every 4 weeks."})
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    assert response.content == out.read_bytes()
    assert int(response.headers["x-leaflet-pages"]) == len(PdfReader(out).pages)


def write_manifest(path: Path, rows: list[dict]) -> Path:
    header = ["content", *[name for name in rows[0] if name != "content"]]
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, header)
        writer.writeheader()
        writer.writerows(rows)
    return path


def test_the_api_pdf_and_its_errors_match_a_batch_row(client, cli_runner, tmp_path):
    """A batch row and the same JSON: the same bytes when good, the same words when bad."""
    good = {"audience": "adult", "patient_age": "42", "patient_weight": "80", "patient_name": "Zoë <Martin> & co",
            "pharmacy": "High Street Pharmacy", "pharmacy_phone": "01632 960 000"}
    # U+13000, an Egyptian hieroglyph: no font the project ships or finds can draw it
    bad = {"audience": "adult", "patient_age": "5", "patient_weight": "", "patient_name": "𓀀 Ankh",
           "pharmacy": "", "pharmacy_phone": ""}
    rows = [{"content": str(DUPIXENT), **good, "output": "good.pdf"}, {"content": str(DUPIXENT), **bad, "output": "bad.pdf"}]
    write_manifest(tmp_path / "m.csv", rows)
    result = cli_runner.invoke(cli, ["batch", str(tmp_path / "m.csv"), "--out-dir", str(tmp_path / "out"),
                                     "--jobs", "1", "--report", str(tmp_path / "report.json")])
    assert result.exit_code == 1, result.output
    report = json.loads((tmp_path / "report.json").read_text())
    batch_error = next(row["error"] for row in report["rows"] if row["row"] == 3)

    response = api(client, {"medicine": "dupixent", **good})
    assert response.status_code == 200
    assert response.content == (tmp_path / "out" / "good.pdf").read_bytes()

    response = api(client, {"medicine": "dupixent", **bad})
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["detail"] == batch_error  # the same words, in the same order
    assert {error["field"] for error in body["errors"]} == {"patient_age", "patient_name"}
    assert body["status"] == 422 and body["title"] == "Unprocessable Content" and body["type"] == "about:blank"


def test_the_audience_follows_the_age_unless_given(client):
    teen = api(client, {"medicine": "dupixent", "patient_age": "15"})
    assert teen.status_code == 200
    assert "For young people aged 12 to 17" in pdf_text(teen.content)
    assert teen.headers["content-disposition"] == 'attachment; filename="dupixent-adolescent.pdf"'
    child = api(client, {"medicine": "dupixent", "patient_age": 4.5})
    assert "For parents and caregivers of children under 12" in pdf_text(child.content)
    chosen = api(client, {"medicine": "dupixent", "patient_age": 15, "audience": "adult"})
    assert chosen.status_code == 422
    assert chosen.json()["detail"] == "; ".join(batch_words(audience="adult", patient_age="15"))
    assert "outside the adult audience" in chosen.json()["detail"]
    impossible = api(client, {"medicine": "dupixent", "patient_age": 200})
    assert impossible.json()["detail"] == "; ".join(batch_words(audience="adult", patient_age="200"))
    assert "not a possible age" in impossible.json()["detail"]
    nobody = api(client, {"medicine": "dupixent"})
    assert nobody.json()["detail"] == "audience: empty (choose from: caregiver, adolescent, adult)"
    not_a_number = api(client, {"medicine": "dupixent", "patient_age": "four"})
    # not "audience: empty" as well
    assert not_a_number.json()["detail"] == "patient_age: not a number (write it in figures: years, such as 4 or 0.75)"


@pytest.mark.parametrize("body, status, detail", [
    ({"medicine": "aspirin", "audience": "adult"}, 422, f"medicine 'aspirin': unknown (choose from: {MEDICINES})"),
    ({"medicine": "../content/dupixent", "audience": "adult"}, 422,
     f"medicine '../content/dupixent': unknown (choose from: {MEDICINES})"),
    ({"audience": "adult"}, 422, f"medicine: empty (choose from: {MEDICINES})"),
    ({"medicine": "dupixent", "audience": "adult", "style": "/etc/passwd.yaml"}, 422,
     "style '/etc/passwd.yaml': unknown (choose from: standard, ink-saver, large-print)"),
    ({"medicine": "dupixent", "audience": "adult", "content": "x.yaml"}, 422,
     "unknown field 'content' (fields are: " + ", ".join(request_fields.field_names()) + ")"),
    ({"medicine": "dupixent", "audience": "adult", "patient_age": True}, 422, "patient_age: give a string or a number, not bool"),
    ({"medicine": "dupixent", "audience": "kids", "page_size": "a5"}, 422,
     "audience 'kids': unknown (choose from: caregiver, adolescent, adult); page_size 'a5': unknown (choose from: a4, letter)"),
    (["dupixent"], 400, None),
])
def test_bad_requests_are_problem_details(client, body, status, detail):
    response = api(client, body)
    assert response.status_code == status
    assert response.headers["content-type"] == "application/problem+json"
    if detail is not None:
        assert response.json()["detail"] == detail
    assert response.headers["cache-control"] == "no-store"


def test_a_body_that_is_not_json_is_refused(client):
    as_text = client.post("/api/leaflets", content='{"medicine": "dupixent", "audience": "adult"}',
                          headers={"content-type": "text/plain"})  # what a cross-site form can send
    assert as_text.status_code == 415
    broken = client.post("/api/leaflets", content="{", headers={"content-type": "application/json"})
    assert broken.status_code == 400 and "not valid JSON" in broken.json()["detail"]


def test_medicines_health_and_openapi(client):
    medicines = client.get("/api/medicines").json()
    assert ", ".join(m["id"] for m in medicines) == MEDICINES
    dupixent = next(m for m in medicines if m["id"] == "dupixent")
    assert dupixent["audiences"] == ["caregiver", "adolescent", "adult"]
    assert {"id": "asthma", "name": "Asthma", "min_age_years": 6.0, "max_age_years": None,
            "min_weight_kg": None} in dupixent["uses"]
    health = client.get("/healthz")
    assert health.status_code == 200 and health.json()["status"] == "ok"
    spec = client.get("/openapi.json").json()
    assert spec["openapi"].startswith("3.1")
    properties = spec["components"]["schemas"]["LeafletRequest"]["properties"]
    # every manifest column but the two that name files, and the medicine in place of content
    assert set(properties) == {"medicine"} | (set(manifest.COLUMNS) - {"content", "output"})
    assert "application/problem+json" in spec["paths"]["/api/leaflets"]["post"]["responses"]["422"]["content"]


def test_a_new_manifest_column_reaches_the_form_and_the_api(monkeypatch, library):
    monkeypatch.setattr(manifest, "COLUMNS", (*manifest.COLUMNS, "refill_date"))
    assert request_fields.fields()[-1] == request_fields.Field("refill_date", "Refill date")
    with TestClient(create_app(Settings(CONTENT, warm_up=False), library=library)) as fresh:
        assert '<label for="field-refill_date">Refill date</label>' in fresh.get("/").text
        assert "refill_date" in fresh.get("/openapi.json").json()["components"]["schemas"]["LeafletRequest"]["properties"]


def test_ticked_uses_and_directions_make_the_same_leaflet_as_the_api(client):
    """The manifest's `uses` ("a;b") and `directions` columns: ticks per medicine and a text area."""
    page = client.get("/").text
    assert re.search(r'<input type="checkbox" id="field-uses-dupixent-asthma" name="uses:dupixent" value="asthma">'
                     r'\s*<label for="field-uses-dupixent-asthma">Asthma</label>', page)
    assert '<textarea id="field-directions" name="directions"' in page
    form = [("csrf_token", client.cookies["leaflet_csrf"]), ("medicine", "dupixent"), ("patient_age", "40"),
            ("uses:dupixent", "asthma"), ("uses:dupixent", "eczema"), ("uses:other", "ignored"),
            ("directions", "One injection\nevery 2 weeks."), ("style", "standard"), ("page_size", "a4")]
    posted = {"content": urlencode(form), "headers": {"content-type": "application/x-www-form-urlencoded"}}
    shown = client.post("/", **posted)
    assert shown.status_code == 200
    assert len(re.findall(r'<input type="checkbox"[^>]* checked>', shown.text)) == 2  # kept ticked
    assert 'name="uses" value="asthma;eczema"' in shown.text  # carried to Download and Print
    downloaded = client.post("/leaflet.pdf", content=urlencode([*form, ("disposition", "attachment")]),
                             headers=posted["headers"])
    from_api = api(client, {"medicine": "dupixent", "patient_age": 40, "uses": ["asthma", "eczema"],
                            "directions": "One injection\nevery 2 weeks."})
    assert downloaded.status_code == from_api.status_code == 200
    assert downloaded.content == from_api.content
    assert "One injection every 2 weeks." in pdf_text(from_api.content)
    assert from_api.content != api(client, {"medicine": "dupixent", "patient_age": 40}).content  # the ticks count
    assert "@supports selector(:has(a))" in client.get("/medicines.css").text


def test_a_use_not_of_this_medicine_is_the_batch_error(client):
    response = api(client, {"medicine": "dupixent", "patient_age": 40, "uses": "migraine"})
    assert response.status_code == 422
    assert response.json()["detail"] == "; ".join(batch_words(audience="adult", patient_age="40", uses="migraine"))
    assert response.json()["errors"][0]["field"] == "uses"


# --- The form's server side ----------------------------------------------------------------


def test_the_form_renders_previews_and_the_same_pdf(client, library):
    token = csrf(client)
    form = {"csrf_token": token, "medicine": "dupixent", "patient_age": "4", "patient_weight": "16,5",
            "patient_name": "Zoë <b>Martin</b>", "audience": "", "style": "standard", "page_size": "a4"}
    page = client.post("/", data=form)
    assert page.status_code == 200
    assert page.headers["cache-control"] == "no-store"
    expected = api(client, {k: v for k, v in form.items() if k != "csrf_token"})
    pages = int(expected.headers["x-leaflet-pages"])
    assert page.text.count('src="data:image/png;base64,') == pages
    assert "Zoë &lt;b&gt;Martin&lt;/b&gt;" in page.text and "<b>Martin</b>" not in page.text  # escaped
    download = client.post("/leaflet.pdf", data={**form, "disposition": "attachment"})
    assert download.content == expected.content
    assert download.headers["content-disposition"] == 'attachment; filename="dupixent-caregiver.pdf"'
    printed = client.post("/leaflet.pdf", data={**form, "disposition": "inline"})
    assert printed.headers["content-disposition"].startswith("inline;")
    assert "Zo" not in printed.headers["content-disposition"]  # no patient name in the file name


def test_previews_are_the_pdf_pages_as_png(library):
    from leaflet.build import Request

    rendered = render(Request(DUPIXENT, "adult", style="large-print"))
    images = previews(rendered.pdf)
    assert len(images) == rendered.pages > 1
    assert all(image.startswith(b"\x89PNG\r\n\x1a\n") for image in images)
    from PIL import Image
    import io
    width, height = Image.open(io.BytesIO(images[0])).size
    assert abs(height / width - 297 / 210) < 0.01  # A4


def test_form_errors_stand_beside_their_field(client):
    token = csrf(client)
    page = client.post("/", data={"csrf_token": token, "medicine": "dupixent", "patient_age": "abc",
                                  "audience": "", "patient_name": "𓀀", "style": "standard", "page_size": "a4"})
    assert page.status_code == 422
    html = page.text
    assert "<title>Error: " in html
    assert 'role="alert"' in html
    error = re.search(r'<p class="error" id="field-patient_age-error">(.*?)</p>', html).group(1)
    words = batch_words(audience="caregiver", patient_age="abc", patient_name="𓀀")
    # the batch's words, led by the field's label rather than its column name
    assert words[0].startswith("patient_age") and words[1].startswith("patient_name")
    words = [words[0].replace("patient_age", "Patient's age", 1), words[1].replace("patient_name", "Patient's name", 1)]
    assert str(html_escape(words[0])) in error and "not a number" in error
    assert "patient_age" not in error
    # the audience follows the age: an age that is not a number brings no "audience: empty" too
    assert 'id="field-audience-error"' not in html and "audience: empty" not in html
    age_input = re.search(r'<input id="field-patient_age"[^>]*>', html).group(0)
    assert 'aria-invalid="true"' in age_input and "field-patient_age-error" in age_input and "autofocus" in age_input
    name_error = re.search(r'<p class="error" id="field-patient_name-error">(.*?)</p>', html).group(1)
    assert str(html_escape(words[1])) in name_error and "U+13000" in name_error
    assert 'value="abc"' in html  # the nurse's input is kept


def test_forms_need_their_csrf_token(client):
    token = csrf(client)
    form = {"medicine": "dupixent", "patient_age": "40", "style": "standard", "page_size": "a4"}
    assert client.post("/", data=form).status_code == 403
    assert client.post("/", data={**form, "csrf_token": "forged"}).status_code == 403
    assert client.post("/leaflet.pdf", data=form).status_code == 403
    cross = client.post("/", data={**form, "csrf_token": token}, headers={"sec-fetch-site": "cross-site"})
    assert cross.status_code == 403
    assert client.post("/", data={**form, "csrf_token": token}).status_code == 200


def test_responses_carry_no_store_and_safety_headers(client):
    page = client.get("/")
    assert page.headers["cache-control"] == "no-store"
    assert "default-src 'none'" in page.headers["content-security-policy"]
    assert "script-src" not in page.headers["content-security-policy"]  # no script runs at all
    assert page.headers["x-frame-options"] == "DENY"
    assert "<script" not in page.text
    assert re.findall(r'(?:href|src)="(https?:)?//', page.text) == []  # nothing from elsewhere
    assert client.get("/static/style.css").status_code == 200


# --- Limits ------------------------------------------------------------------------------------


def test_bodies_over_the_limit_are_refused(library):
    app = create_app(Settings(CONTENT, warm_up=False, max_body=1000), library=library)
    with TestClient(app) as small:
        big = {"medicine": "dupixent", "audience": "adult", "patient_name": "x" * 2000}
        response = small.post("/api/leaflets", json=big)
        assert response.status_code == 413
        assert response.json()["detail"] == "the request body is larger than 1,000 bytes"

        def chunks():  # no Content-Length: counted as it arrives
            yield b'{"medicine": "dupixent", "patient_name": "'
            for _ in range(20):
                yield b"x" * 100
            yield b'"}'

        streamed = small.post("/api/leaflets", content=chunks(), headers={"content-type": "application/json"})
        assert streamed.status_code == 413


def slow_work(release: threading.Event):
    def work(request, with_previews):
        release.wait(10)
        return render(request), []
    return work


def test_an_overload_is_answered_with_503_and_retry_after(library):
    release = threading.Event()
    app = create_app(Settings(CONTENT, warm_up=False, capacity=2), library=library, render_work=slow_work(release))
    body = {"medicine": "dupixent", "audience": "adult"}

    async def scenario():
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client:
            held = [asyncio.create_task(client.post("/api/leaflets", json=body)) for _ in range(2)]
            await asyncio.sleep(0.3)
            started = time.perf_counter()
            refused = await client.post("/api/leaflets", json=body)
            refused_after = time.perf_counter() - started
            release.set()
            return refused, refused_after, await asyncio.gather(*held)

    refused, refused_after, held = asyncio.run(scenario())
    assert refused.status_code == 503
    assert refused.headers["retry-after"] == "1"
    assert refused.json()["detail"] == "the server is busy rendering other leaflets; try again in a moment"
    assert refused_after < 1  # at once, not queued
    assert [response.status_code for response in held] == [200, 200]


def test_a_request_that_takes_too_long_is_answered_and_keeps_its_slot_until_done(library):
    release = threading.Event()
    app = create_app(Settings(CONTENT, warm_up=False, capacity=1, timeout=0.5), library=library,
                     render_work=slow_work(release))
    body = {"medicine": "dupixent", "audience": "adult"}

    async def scenario():
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client:
            late = await client.post("/api/leaflets", json=body)
            still_busy = await client.post("/api/leaflets", json=body)  # the stuck render still holds the slot
            release.set()
            for _ in range(100):
                health = (await client.get("/healthz")).json()
                if health["rendering"] == 0:
                    break
                await asyncio.sleep(0.05)
            again = await client.post("/api/leaflets", json=body)
            return late, still_busy, health, again

    late, still_busy, health, again = asyncio.run(scenario())
    assert late.status_code == 503
    assert late.json()["detail"] == "the request took longer than 0.5 s"
    assert late.headers["retry-after"] == "5"
    assert still_busy.status_code == 503 and still_busy.headers["retry-after"] == "1"
    assert health["rendering"] == 0
    assert again.status_code == 200


# --- Access ---------------------------------------------------------------------------------------

TOKEN = "correct-horse-battery-staple"


def test_a_token_guards_the_api_and_the_page(library):
    with TestClient(create_app(Settings(CONTENT, token=TOKEN, warm_up=False), library=library)) as client:
        body = {"medicine": "dupixent", "audience": "adult"}
        refused = client.post("/api/leaflets", json=body)
        assert refused.status_code == 401 and refused.headers["www-authenticate"] == "Bearer"
        assert client.get("/api/medicines").status_code == 401
        assert client.post("/api/leaflets", json=body, headers={"authorization": "Bearer wrong-token-wrong-token"}
                           ).status_code == 401
        assert client.post("/api/leaflets", json=body, headers={"authorization": f"Bearer {TOKEN}"}).status_code == 200
        assert client.get("/healthz").status_code == 200  # for the load balancer

        sign_in = client.get("/")
        assert 'name="token"' in sign_in.text and 'name="patient_age"' not in sign_in.text
        token = client.cookies["leaflet_csrf"]
        wrong = client.post("/sign-in", data={"csrf_token": token, "token": "nope"})
        assert wrong.status_code == 401 and "not the token this server was started with" in wrong.text
        right = client.post("/sign-in", data={"csrf_token": token, "token": TOKEN}, follow_redirects=False)
        assert right.status_code == 303
        assert TOKEN not in right.headers["set-cookie"]
        assert 'name="patient_age"' in client.get("/").text
        assert client.post("/api/leaflets", json=body).status_code == 200  # the signed-in browser


def test_listening_beyond_loopback_needs_a_token(cli_runner, monkeypatch):
    check_access("127.0.0.1", None)
    check_access("::1", None)
    check_access("localhost", None)
    with pytest.raises(LeafletError, match="needs --token"):
        check_access("0.0.0.0", None)
    with pytest.raises(LeafletError, match="too short"):
        check_access("0.0.0.0", "short")
    check_access("0.0.0.0", TOKEN)
    monkeypatch.delenv("LEAFLET_TOKEN", raising=False)
    result = cli_runner.invoke(cli, ["serve", "--host", "0.0.0.0"])
    assert result.exit_code == 2
    assert result.output.strip() == (
        "Error: --host 0.0.0.0: listens beyond this machine, so it needs --token (or LEAFLET_TOKEN in the "
        "environment); without one, anyone on the network could use it")


def test_on_loopback_only_its_own_host_names_are_answered(library):
    app = create_app(Settings(CONTENT, warm_up=False, allowed_hosts=("127.0.0.1", "localhost", "[::1]")),
                     library=library)
    with TestClient(app, base_url="http://127.0.0.1:8000") as client:
        assert client.get("/healthz").status_code == 200
        assert client.get("/healthz", headers={"host": "[::1]:8000"}).status_code == 200
        rebound = client.get("/healthz", headers={"host": "attacker.example:8000"})  # DNS rebinding
        assert rebound.status_code == 400



def test_a_long_running_process_keeps_giving_the_cli_bytes():
    """A server's render process draws thousands of leaflets: what it drew before must not
    change the next one (layout remembers line breaks; drawing must not alter them)."""
    from leaflet.build import Request, render_request
    from leaflet.layout import Personal

    wanted = Request(DUPIXENT.resolve(), "caregiver", 4, 16, "large-print", "a4", Personal("Zoë Martin"))
    first = render_request(wanted).pdf
    for audience, age in (("adult", 40), ("adolescent", 15), ("caregiver", None)):
        for style in ("standard", "ink-saver", "large-print"):
            render_request(Request(DUPIXENT.resolve(), audience, age, style=style, personal=Personal("Ngọc Anh")))
            assert render_request(wanted).pdf == first, (audience, age, style)


def test_an_unexpected_error_is_a_500_problem_logged_by_type_only(library, caplog):
    def broken(request, with_previews):
        raise RuntimeError(f"failed for {request.personal.patient_name}")

    app = create_app(Settings(CONTENT, warm_up=False), library=library, render_work=broken)
    with caplog.at_level("INFO", logger="leaflet.serve"), TestClient(app, raise_server_exceptions=False) as client:
        response = client.post("/api/leaflets", json={"medicine": "dupixent", "audience": "adult",
                                                      "patient_name": "Ambrose Whitlock"})
    assert response.status_code == 500
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["detail"] == "the server failed to answer; the error is in its log"
    assert "POST /api/leaflets: RuntimeError" in caplog.text
    assert "Whitlock" not in caplog.text and "Whitlock" not in response.text


def test_health_is_503_without_any_medicine(tmp_path):
    (tmp_path / "broken.yaml").write_text("medicine: [\n", encoding="utf-8")
    with TestClient(create_app(Settings(tmp_path, warm_up=False))) as client:
        health = client.get("/healthz")
        assert health.status_code == 503
        assert health.json()["status"] == "no medicines" and health.json()["content_left_out"] == 1


def test_translations_are_languages_of_their_medicine(tmp_path, monkeypatch):
    import shutil

    shutil.copy(DUPIXENT, tmp_path / "dupixent.yaml")
    shutil.copy(DUPIXENT, tmp_path / "dupixent.es.yaml")  # named as a translation
    found = Library(tmp_path)
    assert list(found.medicines) == ["dupixent"]
    assert found.medicines["dupixent"].languages == ("en", "es")
    monkeypatch.setattr(manifest, "COLUMNS", (*manifest.COLUMNS, "language"))
    with TestClient(create_app(Settings(tmp_path, warm_up=False), library=found)) as client:
        page = client.get("/").text
        assert '<option value="es">Español (es)</option>' in page
        assert client.get("/api/medicines").json()[0]["languages"] == ["en", "es"]


def test_an_archival_pdf_is_the_cli_builds(client, cli_runner, tmp_path):
    out = tmp_path / "pdfa.pdf"
    result = cli_runner.invoke(cli, ["build", str(DUPIXENT), "-a", "adult", "--pdfa", "-o", str(out)])
    assert result.exit_code == 0, result.output
    response = api(client, {"medicine": "dupixent", "audience": "adult", "pdfa": "yes"})
    assert response.status_code == 200
    assert response.content == out.read_bytes()
    assert response.content != api(client, {"medicine": "dupixent", "audience": "adult"}).content
    assert '<option value="yes">Yes</option>' in client.get("/").text


def test_a_leaflet_in_another_language(client):
    spanish = api(client, {"medicine": "dupixent", "patient_age": 40, "language": "es"})
    assert spanish.status_code == 200
    assert "Para adultos de 18 años o más" in pdf_text(spanish.content)
    missing = api(client, {"medicine": "dupixent", "patient_age": 40, "language": "fr"})
    assert missing.status_code == 422
    assert missing.json()["errors"][0]["field"] == "language"
    assert "dupixent.fr.yaml not found" in missing.json()["detail"]
    assert str(ROOT) not in missing.text  # no folder of the server's in what a client sees
    assert '<option value="es">Español (es)</option>' in client.get("/").text
