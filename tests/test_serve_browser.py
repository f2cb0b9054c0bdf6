"""The clinic's page in a real browser: Debian's chromium, headless, driven by Playwright.

A nurse fills the form (by mouse, and by keyboard alone), reads the preview, downloads the
PDF and it is read back with pypdf; axe-core audits every state of the page against
WCAG 2.2 A and AA. There is no
skipping: without /usr/bin/chromium these tests fail (`bash tests/setup` installs it).

One server and one browser for the whole module. Set LEAFLET_UPDATE_SCREENSHOTS=1 to
write the README's screenshot, docs/serve-page.png.
"""

from __future__ import annotations

import io
import os
import re
from pathlib import Path

import pytest
from pypdf import PdfReader

from conftest import DUPIXENT, ROOT, pdf_text
from leaflet.build import Request, render_request
from leaflet.layout import Personal
from playwright.sync_api import expect
from serving import Server, batch_words

CHROMIUM = Path("/usr/bin/chromium")
# As this machine's notes say: headless, as root, and no calls home (the network is closed).
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
AXE = Path(__import__("axe_playwright_python").__file__).parent / "axe.min.js"  # axe-core 4.12
#: Every WCAG A and AA rule axe has, up to 2.2 (target size among them), and its best practices.
AXE_RULES = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]
expect.set_options(timeout=20_000)  # the machine may be busy: wait for pages, never for a fixed time
NAME = "Zoë Martin"
DIRECTIONS = "One injection under the skin every 4 weeks."


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    running = Server(tmp_path_factory.mktemp("serve"), "--workers", "1")
    yield running
    running.kill()


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: run `bash tests/setup`, which installs Debian's chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        yield launched
        launched.close()


@pytest.fixture
def page(browser, server):
    # bypass_csp: only so that the test can inject axe-core; the page itself runs no script
    context = browser.new_context(base_url=server.url, accept_downloads=True, bypass_csp=True,
                                  viewport={"width": 1280, "height": 900})
    opened = context.new_page()
    opened.set_default_timeout(20_000)
    yield opened
    context.close()


def audit(page) -> list[str]:
    """axe-core's serious and critical findings on the page as it is now."""
    page.add_script_tag(content=AXE.read_text())
    result = page.evaluate("async (tags) => await axe.run(document, {resultTypes: ['violations'], "
                           "runOnly: {type: 'tag', values: tags}})", AXE_RULES)
    return [f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']]}"
            for v in result["violations"] if v["impact"] in ("serious", "critical")]


def test_a_nurse_previews_downloads_and_prints_a_leaflet(page, tmp_path):
    page.goto("/")
    assert audit(page) == []
    page.get_by_label("Medicine").select_option("dupixent")
    page.get_by_label("Patient's age").fill("4")
    page.get_by_label("Patient's weight").fill("16")
    page.get_by_label("Patient's name").fill(NAME)
    page.get_by_label("Eczema (atopic dermatitis)").check()
    page.get_by_label("Directions").fill(DIRECTIONS)
    page.get_by_label("Print style").select_option(label="Large print (18 pt)")
    page.get_by_label("Paper size").select_option(label="A4")
    page.get_by_role("button", name="Show the leaflet").click()

    status = page.get_by_role("status")
    assert re.fullmatch(r"Ready: \d+ pages\. Check the pages below, then download or print the PDF\.",
                        status.inner_text().strip())
    assert page.get_by_role("heading", level=2).first.inner_text() == "Dupixent leaflet for parents and caregivers of children under 12"
    pictures = page.get_by_role("img")
    count = pictures.count()
    for index in range(count):
        picture = pictures.nth(index)
        assert picture.get_attribute("alt") == f"Page {index + 1} of {count} of the leaflet, as it will print"
        assert picture.evaluate("img => img.complete && img.naturalWidth") > 700  # drawn, not broken
    assert f"Ready: {count} pages" in status.inner_text()
    assert page.evaluate("document.activeElement.textContent.trim()") == "Download the PDF"  # ready to act
    assert audit(page) == []
    shot = (ROOT / "docs" / "serve-page.png") if os.environ.get("LEAFLET_UPDATE_SCREENSHOTS") else tmp_path / "page.png"
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(shot))

    with page.expect_download() as download_info:
        page.get_by_role("button", name="Download the PDF").click()
    download = download_info.value
    assert download.suggested_filename == "dupixent-caregiver.pdf"
    pdf = Path(download.path()).read_bytes()
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == count
    text = pdf_text(pdf)
    assert f"Prepared for {NAME}" in text
    assert "For parents and caregivers of children under 12" in text
    # what the CLI's pipeline makes of the same inputs, byte for byte
    assert DIRECTIONS in text
    same = render_request(Request(DUPIXENT.resolve(), "caregiver", 4, 16, "large-print", "a4",
                                  Personal(NAME, directions=DIRECTIONS), uses=("eczema",)))
    assert pdf == same.pdf

    with page.context.expect_page() as print_tab:
        page.get_by_role("button", name="Print (opens the PDF in a new tab)").click()
    tab = print_tab.value
    tab.wait_for_load_state()
    assert tab.url.endswith("/leaflet.pdf")


def test_keyboard_alone_is_enough_and_focus_is_visible(page):
    page.goto("/")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to the main content"
    page.keyboard.press("Enter")
    # on a closed list, typing picks the first option that starts with what is typed
    typed = {"field-medicine": "Dupixent", "field-patient_age": "15", "field-patient_name": "Ngọc Anh"}
    seen = []
    for _ in range(12):
        page.keyboard.press("Tab")
        focused = page.evaluate("document.activeElement.id")
        seen.append(focused)
        ring = page.evaluate("getComputedStyle(document.activeElement).outlineStyle + ' ' + "
                             "getComputedStyle(document.activeElement).outlineWidth")
        assert ring.startswith("solid") and float(ring.split()[1].rstrip("px")) >= 2, (focused, ring)
        if focused in typed:
            page.keyboard.type(typed.pop(focused))
        if not typed:
            break
    assert seen[:2] == ["field-medicine", "field-patient_age"]
    with page.expect_navigation():
        page.keyboard.press("Enter")  # submits the form from a text field
    expect(page).to_have_title(re.compile(r"^Ready: "))
    assert "Dupixent leaflet for young people aged 12 to 17" in page.inner_text("main")
    assert page.evaluate("document.activeElement.textContent.trim()") == "Download the PDF"
    with page.expect_download() as download_info:
        page.keyboard.press("Enter")
    text = pdf_text(Path(download_info.value.path()).read_bytes())
    assert "Prepared for Ngọc Anh" in text and "For young people aged 12 to 17" in text


def test_errors_are_announced_beside_their_field(page):
    page.goto("/")
    page.get_by_label("Medicine").select_option("dupixent")
    page.get_by_label("Patient's age").fill("5")
    page.get_by_label("Audience").select_option("adult")
    page.get_by_label("Patient's name").fill("𓀀 Ankh")
    page.get_by_role("button", name="Show the leaflet").click()

    expect(page).to_have_title(re.compile(r"^Error: "))
    summary = page.get_by_role("alert")
    assert "There is a problem" in summary.inner_text()
    age_message, name_message = sorted(batch_words(audience="adult", patient_age="5", patient_name="𓀀 Ankh"),
                                       key=lambda message: not message.startswith("patient_age"))
    assert "outside the adult audience" in age_message
    # the page leads with the field's label, not the column name the batch and the API use
    age_message = age_message.replace("patient_age", "Patient's age", 1)
    name_message = name_message.replace("patient_name", "Patient's name", 1)
    assert age_message in summary.inner_text()
    age = page.get_by_label("Patient's age")
    assert age.get_attribute("aria-invalid") == "true"
    assert page.evaluate("document.activeElement.id") == "field-patient_age"  # focus is on the first problem
    described = " ".join(page.locator(f"#{part}").inner_text()
                         for part in age.get_attribute("aria-describedby").split())
    assert age_message in described  # read out with the field
    name_error = page.locator("#field-patient_name-error").inner_text()
    assert name_message in name_error and "U+13000" in name_error
    assert age.input_value() == "5"  # what the nurse typed is kept
    assert audit(page) == []
    summary.get_by_role("link", name=age_message).click()
    assert page.evaluate("location.hash") == "#field-patient_age"


def test_the_audit_does_find_problems(page):
    """The audit itself can fail: an input with no label is a critical finding."""
    page.set_content('<html lang="en"><title>t</title><main><input type="text"></main></html>')
    assert any(finding.startswith("label (critical)") for finding in audit(page))


def test_signing_in_with_the_token(browser, tmp_path_factory):
    token = "clinic-token-for-the-browser-test"
    guarded = Server(tmp_path_factory.mktemp("guarded"), "--workers", "0", "--token", token)
    try:
        context = browser.new_context(base_url=guarded.url, bypass_csp=True)
        page = context.new_page()
        page.goto("/")
        assert page.get_by_role("heading", level=1).inner_text() == "Sign in"
        assert audit(page) == []
        page.get_by_label("Access token").fill("not-the-token")
        page.get_by_role("button", name="Sign in").click()
        expect(page).to_have_title(re.compile(r"^Error: "))
        assert page.evaluate("document.activeElement.id") == "field-token"
        assert "not the token this server was started with" in page.get_by_role("alert").inner_text()
        assert audit(page) == []
        page.get_by_label("Access token").fill(token)
        page.get_by_role("button", name="Sign in").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Print a patient leaflet")
        context.close()
    finally:
        guarded.kill()


def test_the_page_reflows_to_a_narrow_screen(page):
    """WCAG 1.4.10: at 320 CSS pixels wide nothing needs scrolling sideways."""
    page.set_viewport_size({"width": 320, "height": 640})
    page.goto("/")
    page.get_by_label("Medicine").select_option("dupixent")
    page.get_by_label("Patient's age").fill("40")
    page.get_by_role("button", name="Show the leaflet").click()
    expect(page).to_have_title(re.compile(r"^Ready: "))
    page.wait_for_load_state("load")  # the stylesheet and preview images are in, so widths are final
    assert page.evaluate("document.documentElement.scrollWidth") <= 320


def test_only_the_chosen_medicines_conditions_show(page):
    page.goto("/")
    page.get_by_label("Medicine").select_option("sertraline")
    assert page.get_by_role("checkbox").count() == 2  # hidden groups are not in the page's roles
    assert page.get_by_label("Depression").is_visible()
    assert not page.locator("#field-uses-dupixent-asthma").is_visible()
    page.get_by_label("Medicine").select_option("dupixent")
    assert page.get_by_label("Asthma").is_visible() and not page.get_by_label("Depression").is_visible()
