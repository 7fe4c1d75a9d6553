"""End to end on the development corpus of real published PDFs (../shared/corpora/real-reports/): the PDFs
are ingested (nothing else in that folder), each dev_qa.jsonl question is asked, and per document it reports

  answer     answerable questions answered correctly (rag.evals.is_correct)
  cited      answerable questions whose answer cites the paragraph holding the evidence
  page       of those citations, the share whose page is the row's page (or one of its also_on_pages)
  recall@5   the evidence paragraph among the five retrieved
  abstain    unanswerable questions abstained on;  false abst.  answerable ones abstained on

The evidence strings are raw pypdf output, so a paragraph "holds" one as evals/pdf_text.py matches it
(whitespace, NFKC, quotes and dashes folded, pypdf's "x- y" line-end gaps).

    python evals/real_reports.py [--index DIR] [--json FILE]
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "evals"))

from pdf_text import CORPUS, evidence_pattern, normalized  # noqa: E402

import rag  # noqa: E402
from rag.evals import is_correct  # noqa: E402


def holds(text: str, evidence: str) -> bool:
    return evidence_pattern(evidence, fold=True).search(normalized(text, fold=True)[0]) is not None


def run(corpus: Path, index: Path) -> dict:
    lib = rag.Library(rag.Settings(index=index))
    report = lib.ingest(sorted(corpus.glob("*.pdf")))
    failed = [f"{f.source}: {f.reason}" for f in report.files if f.status == "failed"]
    if failed:
        raise SystemExit("ingest failed: " + "; ".join(failed))
    rows = [json.loads(line) for line in (corpus / "dev_qa.jsonl").read_text(encoding="utf-8").splitlines() if line]
    per_doc: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    items = []
    for row in rows:
        answer = lib.ask(row["question"])
        doc = per_doc[row["source"] or "(unanswerable)"]
        outcome = {"id": row["id"], "question": row["question"], "abstained": answer.abstained, "answer": answer.answer}
        if not row["answerable"]:
            doc["unanswerable"] += 1
            doc["abstained"] += answer.abstained
        else:
            pages = {row["page"], *row.get("also_on_pages", [])}
            gold_cites = [c for c in answer.citations if holds(c.text, row["evidence"])]
            retrieved = [lib.paragraph(pid) for pid in answer.retrieved]
            gold_rank = next(
                (r for r, p in enumerate(retrieved, 1) if p is not None and holds(p.text, row["evidence"])), None
            )
            doc["answerable"] += 1
            doc["false_abstained"] += answer.abstained
            doc["correct"] += not answer.abstained and is_correct(answer.answer, row["answers"])
            doc["cited_gold"] += bool(gold_cites)
            doc["gold_citations"] += len(gold_cites)
            doc["page_ok"] += sum(c.page in pages for c in gold_cites)
            doc["recall5"] += gold_rank is not None and gold_rank <= 5
            outcome.update(
                gold_rank=gold_rank,
                cited_gold=bool(gold_cites),
                pages=[c.page for c in answer.citations],
                gold_page=row["page"],
            )
        items.append(outcome)
    return {"documents": {k: dict(v) for k, v in per_doc.items()}, "items": items}


def _ratio(a: int, b: int) -> str:
    return f"{a / b:.2f}" if b else "  - "


def print_table(result: dict) -> dict[str, float]:
    docs = result["documents"]
    print(f"{'document':52s} {'n':>3s} answer cited  page  r@5  | unans abstain false-abst")
    total: dict[str, int] = defaultdict(int)
    for name in sorted(docs):
        d = defaultdict(int, docs[name])
        for k, v in d.items():
            total[k] += v
        print(
            f"{name[:52]:52s} {d['answerable']:3d}  {_ratio(d['correct'], d['answerable'])}  "
            f"{_ratio(d['cited_gold'], d['answerable'])}  {_ratio(d['page_ok'], d['gold_citations'])}  "
            f"{_ratio(d['recall5'], d['answerable'])} | {d['unanswerable']:5d} {_ratio(d['abstained'], d['unanswerable'])}"
            f"    {_ratio(d['false_abstained'], d['answerable'])}"
        )
    overall = {
        "answer_accuracy": total["correct"] / max(1, total["answerable"]),
        "cited_gold": total["cited_gold"] / max(1, total["answerable"]),
        "page_correct": total["page_ok"] / max(1, total["gold_citations"]),
        "recall_at_5": total["recall5"] / max(1, total["answerable"]),
        "abstention_recall": total["abstained"] / max(1, total["unanswerable"]),
        "false_abstention": total["false_abstained"] / max(1, total["answerable"]),
    }
    print("OVERALL " + "  ".join(f"{k} {v:.3f}" for k, v in overall.items()))
    return overall


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    parser.add_argument("--index", type=Path, default=ROOT / "build" / "real-reports-index")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    if not (args.corpus / "dev_qa.jsonl").exists():
        print(f"no development corpus at {args.corpus}", file=sys.stderr)
        return 2
    result = run(args.corpus, args.index)
    result["overall"] = print_table(result)
    if args.json:
        args.json.write_text(json.dumps(result, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
