"""Render plain-text reports as PDF (reportlab), DOCX (python-docx) and HTML, the way real ones look:
running headers and page footers, hyphenated line ends and paragraphs broken across pages in the PDF;
headings as Word heading styles in the DOCX; navigation, scripts, a sidebar and a footer around the article
in the HTML.

    python -m tests.formats seeds/ build/formats/    # writes every seed as .pdf, .docx and .html
"""

from __future__ import annotations

import html
import sys
from pathlib import Path

from rag.paragraphs import split_paragraphs

HEADER = "Syria Desk — internal circulation"
PAGE_WIDTH, PAGE_HEIGHT = 595.27, 841.89  # A4 in points
MARGIN = 72
BODY_FONT, BODY_SIZE, LEADING = "Helvetica", 11, 14
HEAD_FONT, HEAD_SIZE = "Helvetica-Bold", 13


def _blocks(text: str, source: str) -> list[tuple[str, str]]:
    """("heading" | "para", text) in reading order, headings where the section changes."""
    out, section = [], None
    for p in split_paragraphs(text, source):
        if p.section != section and p.section:
            out.append(("heading", p.section))
        section = p.section
        out.append(("para", p.text.replace("\n", " ")))
    return out


def _wrap(text: str, width: float, measure) -> list[str]:
    """Greedy word wrap; a long plain word that does not fit is hyphenated across the line end."""
    lines, line = [], ""
    for word in text.split():
        candidate = f"{line} {word}".strip()
        if measure(candidate) <= width:
            line = candidate
            continue
        if word.isalpha() and len(word) >= 9:
            for cut in range(len(word) - 3, 3, -1):
                head = f"{line} {word[:cut]}-".strip()
                if measure(head) <= width:
                    lines.append(head)
                    line = word[cut:]
                    break
            else:
                lines.append(line)
                line = word
            continue
        lines.append(line)
        line = word
    if line:
        lines.append(line)
    return [ln for ln in lines if ln]


def render_pdf(text: str, source: str, path: Path) -> dict[str, int]:
    """Write the PDF; returns each paragraph's first page, by paragraph text."""
    from reportlab.pdfbase.pdfmetrics import stringWidth
    from reportlab.pdfgen import canvas

    width = PAGE_WIDTH - 2 * MARGIN
    pages: list[list[tuple[str, float, str]]] = [[]]  # per page: (font, y, line)
    first_page: dict[str, int] = {}
    y = PAGE_HEIGHT - MARGIN
    for kind, body in _blocks(text, source):
        font, size = (HEAD_FONT, HEAD_SIZE) if kind == "heading" else (BODY_FONT, BODY_SIZE)
        lines = _wrap(body, width, lambda s, f=font, z=size: stringWidth(s, f, z))
        if kind == "heading" and y - 3 * LEADING < MARGIN:  # keep a heading with its text
            pages.append([])
            y = PAGE_HEIGHT - MARGIN
        for i, line in enumerate(lines):
            if y < MARGIN:
                pages.append([])
                y = PAGE_HEIGHT - MARGIN
            if i == 0 and kind == "para":
                first_page.setdefault(body, len(pages))
            pages[-1].append((font, y, line))
            y -= LEADING
        y -= LEADING * 0.8  # paragraph spacing
    c = canvas.Canvas(str(path), pagesize=(PAGE_WIDTH, PAGE_HEIGHT), invariant=1)
    for number, page in enumerate(pages, start=1):
        c.setFont(BODY_FONT, 8)
        c.drawString(MARGIN, PAGE_HEIGHT - 40, HEADER)
        c.drawRightString(PAGE_WIDTH - MARGIN, 36, f"Page {number} of {len(pages)}")
        for font, y, line in page:
            c.setFont(font, HEAD_SIZE if font == HEAD_FONT else BODY_SIZE)
            c.drawString(MARGIN, y, line)
        c.showPage()
    c.save()
    return first_page


def render_docx(text: str, source: str, path: Path) -> None:
    import docx

    document = docx.Document()
    document.sections[0].header.paragraphs[0].text = HEADER
    document.sections[0].footer.paragraphs[0].text = "Distribution: analysts only"
    for kind, body in _blocks(text, source):
        if kind == "heading":
            document.add_heading(body, level=2)
        else:
            document.add_paragraph(body)
    document.save(str(path))


def render_html(text: str, source: str, path: Path) -> None:
    parts = []
    for kind, body in _blocks(text, source):
        tag = "h2" if kind == "heading" else "p"
        parts.append(f"<{tag}>{html.escape(body)}</{tag}>")
    page = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{html.escape(source)} | Syria Desk</title>
<script>window.dataLayer = [{{"event": "pageview"}}]; document.write("tracking");</script>
<style>nav {{ float: left; }}</style></head>
<body>
<header class="site-header"><a href="/">Syria Desk</a> <span>Analysis you can cite</span></header>
<nav class="main-nav"><ul><li><a href="/news">News</a></li><li><a href="/analysis">Analysis</a></li>
<li><a href="/about">About us</a></li><li><a href="/subscribe">Subscribe to our newsletter</a></li></ul></nav>
<div class="layout">
<article class="story">
{chr(10).join(parts)}
</article>
<aside class="related"><h3>Related stories</h3><ul><li>Ten things to know about the Badia</li>
<li>Opinion: the desert war nobody watches</li></ul></aside>
</div>
<div class="cookie-banner">We use cookies to improve your experience. Accept all cookies?</div>
<footer class="site-footer"><p>© 2024 Syria Desk. All rights reserved.</p><p>Privacy · Terms · Contact</p></footer>
<script src="/static/app.js"></script>
</body></html>
"""
    path.write_text(page, encoding="utf-8")


def render_all(seeds: Path, out: Path) -> dict[str, dict[str, int]]:
    """Every seed as PDF, DOCX and HTML under out/pdf, out/docx, out/html; returns the PDF page maps."""
    pages = {}
    for fmt in ("pdf", "docx", "html"):
        (out / fmt).mkdir(parents=True, exist_ok=True)
    for seed in sorted(seeds.glob("*.txt")):
        text = seed.read_text(encoding="utf-8")
        pages[seed.stem] = render_pdf(text, seed.name, out / "pdf" / f"{seed.stem}.pdf")
        render_docx(text, seed.name, out / "docx" / f"{seed.stem}.docx")
        render_html(text, seed.name, out / "html" / f"{seed.stem}.html")
    return pages


if __name__ == "__main__":
    render_all(Path(sys.argv[1]), Path(sys.argv[2]))
