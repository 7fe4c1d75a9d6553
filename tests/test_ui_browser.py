"""End to end in a real headless Chromium: the app as `python app.py` runs it, driven by Playwright."""

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from .conftest import free_port, wait_until_serving
from .formats import render_pdf

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "build" / "test-artifacts"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
]

pytestmark = [
    pytest.mark.integration,
    # `make test` installs Chromium and sets RAG_REQUIRE_BROWSER, so there a missing browser fails the run.
    pytest.mark.skipif(
        not Path(CHROMIUM).exists() and not os.environ.get("RAG_REQUIRE_BROWSER"),
        reason="Debian chromium is not installed (make test installs it)",
    ),
]

XSS_REPORT = """Militia report from Zarqa

The Zarqa militia commander <img src=x onerror="window.__xss='img'"> said that 42 fighters had joined the brigade in May.

A second statement <script>window.__xss='script'</script> claimed the brigade controls three villages near the river.
"""

UPLOAD_REPORT = """Field notes from Qaryatayn

Local officials in Qaryatayn counted 17 burned trucks on the road to the phosphate mine after the September raid.
"""


PDF_REPORT = """Water board minutes

The water board of Tadmur approved a desalination pilot costing 3.1 million dollars at its autumn session.
"""


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """A real app process on a free port, over an index of the seeds plus a report carrying XSS payloads."""
    work = tmp_path_factory.mktemp("ui")
    corpus = work / "reports"
    shutil.copytree(ROOT / "seeds", corpus)
    (corpus / "zarqa_xss.txt").write_text(XSS_REPORT, encoding="utf-8")
    render_pdf(PDF_REPORT, "water_board.pdf", corpus / "water_board.pdf")
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "RAG_INDEX": str(work / "index"), "RAG_PORT": str(free_port())}
    env.pop("RAG_EMBEDDING_MODEL", None)
    env.pop("RAG_AUTH", None)
    rag_bin = Path(sys.executable).parent / "rag"
    subprocess.run([rag_bin, "ingest", str(corpus)], env=env, check=True, capture_output=True, timeout=600)
    with (work / "app.log").open("w") as log:
        proc = subprocess.Popen([sys.executable, "app.py"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{env['RAG_PORT']}/"
    wait_until_serving(url, proc, 180, "the app", work / "app.log")
    yield {"url": url, "work": work, "index": work / "index"}
    proc.terminate()
    proc.wait(timeout=30)


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        yield b
        b.close()


@pytest.fixture
def page(browser, server, request):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    pg = context.new_page()
    errors = []
    pg.on("pageerror", lambda exc: errors.append(str(exc)))
    pg.goto(server["url"])
    pg.wait_for_selector("#question textarea", timeout=60_000)
    yield pg
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    pg.screenshot(path=str(ARTIFACTS / f"{request.node.name}.png"), full_page=True)
    context.close()
    assert not errors, errors


def ask(page, question: str) -> float:
    """Submit a question; returns milliseconds until the first answer text shows."""
    before = page.locator("#conversation .turn").count()
    page.fill("#question textarea", question)
    started = time.perf_counter()
    page.keyboard.press("Enter")
    turn = page.locator("#conversation .turn").nth(before)
    turn.locator(".a").first.wait_for(timeout=60_000)
    page.wait_for_function(
        """n => { const t = document.querySelectorAll('#conversation .turn')[n];
                  const a = t && t.querySelector('.a');
                  return a && a.textContent.replace('▍', '').trim().length > 0; }""",
        arg=before,
        timeout=60_000,
    )
    first_token_ms = (time.perf_counter() - started) * 1000
    page.wait_for_function(
        "n => { const t = document.querySelectorAll('#conversation .turn')[n]; return t && !t.querySelector('.pending'); }",
        arg=before,
        timeout=60_000,
    )
    return first_token_ms


def test_answer_chip_opens_the_highlighted_source(page):
    ms = ask(page, "When did Abu Hafs al-Hashemi al-Qurashi take over the leadership of ISIS?")
    print(f"time to first token: {ms:.0f} ms")
    answer = page.locator("#conversation .turn").last.locator(".a.answer")
    assert "August 2023" in answer.inner_text()
    chip = answer.locator(".cite-chip").first
    chip.click()
    card = page.locator("#sources .src-card.selected")
    card.wait_for(timeout=10_000)
    assert card.is_visible()
    head = card.locator(".src-head").inner_text()
    assert "001_08933ac444e6ce74.txt" in head and "¶ 11" in head and "Motives behind the escalation" in head
    assert card.locator("mark").inner_text() == (
        "The Iraqi Abu Hafs al-Hashemi al-Qurashi took over the organization's leadership in August 2023."
    )


def test_a_pdf_citation_shows_its_page_with_the_quote_highlighted(page):
    ask(page, "How much does the desalination pilot approved by the Tadmur water board cost?")
    answer = page.locator("#conversation .turn").last.locator(".a.answer")
    assert "3.1 million dollars" in answer.inner_text()
    button = page.locator("#sources .turn-sources:not([hidden]) .page-btn").first
    assert button.inner_text() == "Show page 1 with the quote"
    button.click()
    page.locator("#page-view img").wait_for(timeout=30_000)
    assert "water_board.pdf, page 1: quote highlighted" in page.locator("#page-caption").inner_text()
    width = page.evaluate("() => document.querySelector('#page-view img').naturalWidth")
    assert width > 500


def test_chip_of_an_earlier_answer_selects_that_answers_sources(page):
    ask(page, "Which former US ambassador to Syria said the Islamic State can be contained?")
    ask(page, "How many Syrian soldiers did ISIS kill in central Syria in March?")
    first_chip = page.locator("#conversation .turn").nth(0).locator(".cite-chip").first
    first_chip.click()
    card = page.locator("#sources .src-card.selected")
    card.wait_for(timeout=10_000)
    assert "Robert Ford" in card.inner_text()
    assert page.locator('#sources .turn-sources[data-turn="1"]').is_hidden()


def test_unanswerable_question_is_shown_as_an_abstention(page):
    ask(page, "What is the population of Reykjavik?")
    last = page.locator("#conversation .turn").last
    abstained = last.locator(".a.abstained")
    assert abstained.is_visible()
    assert "No answer in the reports" in abstained.inner_text()
    assert last.locator(".cite-chip").count() == 0


def test_uploaded_report_can_be_asked_about(page, server, tmp_path):
    report = tmp_path / "qaryatayn notes.txt"
    report.write_text(UPLOAD_REPORT, encoding="utf-8")
    page.click("#library-panel button, #library-panel .label-wrap")
    page.locator("#upload input[type=file]").set_input_files(str(report))
    page.wait_for_function(
        "() => (document.querySelector('#upload-result') || {}).innerText?.includes('added')", timeout=120_000
    )
    assert (server["index"] / "uploads" / "qaryatayn notes.txt").exists()
    ask(page, "How many burned trucks did officials count in Qaryatayn?")
    answer = page.locator("#conversation .turn").last.locator(".a.answer")
    assert "17 burned trucks" in answer.inner_text()
    answer.locator(".cite-chip").first.click()
    assert "qaryatayn notes.txt" in page.locator("#sources .src-card.selected .src-head").inner_text()


def test_document_text_is_rendered_as_text_and_no_script_runs(page):
    ask(page, "How many fighters did the Zarqa militia commander say had joined the brigade?")
    last = page.locator("#conversation .turn").last
    assert "42 fighters" in last.inner_text()
    assert "<img src=x onerror=" in last.inner_text()  # shown as text
    last.locator(".cite-chip").first.click()
    card = page.locator("#sources .src-card.selected")
    card.wait_for(timeout=10_000)
    assert "<img src=x onerror=" in card.inner_text()
    ask(page, "How many villages does the brigade control near the river?")
    assert page.locator("#conversation img, #sources img").count() == 0
    assert page.locator("#conversation script, #sources script").count() == 0
    page.locator("#conversation .turn").last.locator(".cite-chip").first.click()
    assert "<script>" in page.locator("#sources .src-card.selected").inner_text()
    assert page.evaluate("() => window.__xss") is None
