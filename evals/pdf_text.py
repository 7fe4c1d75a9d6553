"""How well the PDF reader rebuilds real reports' text: per document of the development corpus
(../shared/corpora/real-reports/), the share of dev_qa.jsonl evidence strings found verbatim in the
extracted text, the share found on the page the row names (by the reader's page marks), and pages/s.

    python evals/pdf_text.py [CORPUS_DIR] [--doc SUBSTRING] [--show]

Two match levels, both with whitespace collapsed and NFKC applied on both sides:
  verbatim  exactly that;
  matched   also folding what the evidence keeps of pypdf's own artifacts (the README of the corpus says it
            is raw pypdf output): curly quotes and dashes folded, an "x- y" line-end gap matching "x-y" or
            "xy", and the " | " between a table row's cells read as a space.
"""

from __future__ import annotations

import json
import re
import sys
import time
import unicodedata
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # this checkout's rag, not an installed one

from rag.text import SUPERSCRIPT_MARK  # noqa: E402

CORPUS = ROOT.parent / "shared" / "corpora" / "real-reports"

# pypdf flattens superscripts ("10^18" reads "1018", footnote 1 after 2020 "20201"): the reader's mark goes too.
_FOLD = str.maketrans(
    {"‘": "'", "’": "'", "‚": "'", "“": '"', "”": '"', "„": '"', "–": "-", "—": "-", "‐": "-", SUPERSCRIPT_MARK: None}
)


def normalized(text: str, fold: bool) -> tuple[str, list[int]]:
    """``text`` NFKC-normalized with whitespace runs collapsed to one space (and, with ``fold``, quotes and
    dashes folded, superscript marks and table cell separators dropped); with, for each output character, its
    offset in ``text``."""
    out: list[str] = []
    where: list[int] = []
    space = True
    for i, ch in enumerate(text):
        piece = unicodedata.normalize("NFKC", ch)
        if fold:
            piece = piece.translate(_FOLD)
            if ch == "|" and i > 0 and text[i - 1] == " ":
                piece = " "
        for c in piece:
            if c.isspace():
                if space:
                    continue
                c, space = " ", True
            else:
                space = False
            out.append(c)
            where.append(i)
    return "".join(out), where


def evidence_pattern(evidence: str, fold: bool) -> re.Pattern:
    text = normalized(evidence, fold)[0].strip()
    if not fold:
        return re.compile(re.escape(text))
    parts = re.split(r"(?<=\w)- (?=\w)", text)  # a line-end hyphen pypdf left with a space after it
    return re.compile("-?".join(re.escape(p) for p in parts))


@dataclass
class DocResult:
    source: str
    pages: int
    seconds: float
    rows: int = 0
    verbatim: int = 0
    matched: int = 0
    page_ok: int = 0


def evaluate(corpus: Path, only: str | None = None, show: bool = False) -> list[DocResult]:
    from rag.readers import extract

    rows = [json.loads(line) for line in (corpus / "dev_qa.jsonl").read_text(encoding="utf-8").splitlines() if line]
    by_source: dict[str, list[dict]] = defaultdict(list)
    for row in rows:
        if row.get("answerable") and row.get("evidence"):
            by_source[row["source"]].append(row)
    results = []
    for pdf in sorted(corpus.glob("*.pdf")):
        if only and only not in pdf.name:
            continue
        data = pdf.read_bytes()
        t0 = time.perf_counter()
        extracted = extract(pdf, data)
        seconds = time.perf_counter() - t0
        result = DocResult(pdf.name, extracted.page_count or 1, seconds)
        strict, _ = normalized(extracted.text, fold=False)
        folded, where = normalized(extracted.text, fold=True)
        for row in by_source.get(pdf.name, []):
            result.rows += 1
            result.verbatim += bool(evidence_pattern(row["evidence"], fold=False).search(strict))
            pages = {row["page"], *row.get("also_on_pages", [])}
            hits = list(evidence_pattern(row["evidence"], fold=True).finditer(folded))
            result.matched += bool(hits)
            on_page = any(extracted.page_at(where[m.start()]) in pages for m in hits)
            result.page_ok += on_page
            if show and not on_page:
                found = sorted({extracted.page_at(where[m.start()]) for m in hits})
                print(f"  MISS {row['id']} p{row['page']} found on {found or '-'}: {row['evidence']}")
        results.append(result)
        print(
            f"{pdf.name:55s} rows {result.rows:2d}  verbatim {result.verbatim}/{result.rows}  "
            f"matched {result.matched}/{result.rows}  page {result.page_ok}/{result.rows}  "
            f"{result.pages:4d} pages {result.pages / seconds:6.1f} pages/s",
            flush=True,
        )
    return results


def summary(results: list[DocResult]) -> dict[str, float]:
    rows = sum(r.rows for r in results) or 1
    pages = sum(r.pages for r in results)
    seconds = sum(r.seconds for r in results) or 1e-9
    return {
        "verbatim": sum(r.verbatim for r in results) / rows,
        "matched": sum(r.matched for r in results) / rows,
        "page_correct": sum(r.page_ok for r in results) / rows,
        "pages_per_s": pages / seconds,
    }


def main(argv: list[str]) -> int:
    args = [a for a in argv if not a.startswith("--")]
    only = argv[argv.index("--doc") + 1] if "--doc" in argv else None
    if only in args:
        args.remove(only)
    corpus = Path(args[0]) if args else CORPUS
    if not (corpus / "dev_qa.jsonl").exists():
        print(f"no development corpus at {corpus}", file=sys.stderr)
        return 2
    s = summary(evaluate(corpus, only, show="--show" in argv))
    print(
        f"OVERALL verbatim {s['verbatim']:.3f}  matched {s['matched']:.3f}  page correct {s['page_correct']:.3f}  "
        f"{s['pages_per_s']:.1f} pages/s"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
