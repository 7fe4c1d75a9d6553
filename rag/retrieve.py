"""Hybrid retrieval: dense (Chroma) and BM25 (bm25s) rankings fused by reciprocal rank."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Iterable, Sequence

import bm25s
import numpy as np

from rag.store import DenseHit
from rag.text import content_terms, numbers_in, search_terms, words
from rag.types import Paragraph, ScoredParagraph


def indexed_text(paragraph: Paragraph, text: str | None = None) -> str:
    """What retrieval sees of a paragraph (or of a window of it, ``text``): the section heading gives
    context the paragraph leaves implicit ("Hama" over "On July 8, one soldier was killed...")."""
    body = paragraph.text if text is None else text
    return f"{paragraph.section}: {body}" if paragraph.section else body


def reciprocal_rank_fusion(
    rankings: Sequence[Sequence[str]], k: int, weights: Sequence[float] | None = None
) -> dict[str, float]:
    """Sum of weight/(k + rank) over the rankings an item appears in (rank from 1)."""
    scores: dict[str, float] = {}
    for ranking, weight in zip(rankings, weights or [1.0] * len(rankings)):
        for rank, item in enumerate(ranking, start=1):
            scores[item] = scores.get(item, 0.0) + weight / (k + rank)
    return scores


# A word in this share of a document's paragraphs is its subject ("ISIS" in a report on ISIS).
TOPIC_SHARE = 0.3
# A document's title lines: short paragraphs on its first page (or, without pages, its first paragraph).
TITLE_LINE_CHARS = 120


@dataclass(frozen=True)
class DocumentTitle:
    """What names a document: the words and numbers of its file name ("nist-sp-800-207.pdf") and of its title
    lines ("NIST Special Publication 800-207", "Version 1.1"). A question naming the document by them ("in NIST
    SP 800-207, which ...", "the Yellow Paper's fee schedule") does not ask for a paragraph that restates them."""

    words: frozenset[str]
    numbers: frozenset[str]


def document_title(source: str, paragraphs: Sequence[Paragraph]) -> DocumentTitle:
    front = [p for p in paragraphs if p.page == 1] if any(p.page for p in paragraphs) else list(paragraphs[:1])
    lines = " ".join(p.text for p in front if len(p.text) <= TITLE_LINE_CHARS)
    # Whole parts of the name only: "3e7f61a4" in a hashed file name is neither a word nor a number.
    parts = [part for part in re.split(r"[^0-9A-Za-z]+", source.rsplit(".", 1)[0]) if part]
    return DocumentTitle(
        frozenset({part.lower() for part in parts if part.isalpha()} | set(words(lines))),
        frozenset({part for part in parts if part.isdigit()} | numbers_in(lines)),
    )


NO_TITLE = DocumentTitle(frozenset(), frozenset())


class Corpus:
    """All stored paragraphs in memory, with a BM25 index over them."""

    def __init__(self, paragraphs: Iterable[Paragraph]):
        self.paragraphs: list[Paragraph] = sorted(paragraphs, key=lambda p: (p.source, p.number))
        self.by_id: dict[str, Paragraph] = {p.id: p for p in self.paragraphs}
        self._sources = np.array([p.source for p in self.paragraphs], dtype=object)
        self.source_set = frozenset(self._sources.tolist())
        self._document_words: dict[str, set[str]] = {}
        counts: dict[str, dict[str, int]] = {}
        sizes: dict[str, int] = {}
        for p in self.paragraphs:
            para_words = set(words(f"{p.section or ''} {p.text}"))
            self._document_words.setdefault(p.source, set()).update(para_words)
            doc_counts = counts.setdefault(p.source, {})
            for w in para_words:
                doc_counts[w] = doc_counts.get(w, 0) + 1
            sizes[p.source] = sizes.get(p.source, 0) + 1
        self._topics = {
            source: {w for w, n in doc_counts.items() if n >= TOPIC_SHARE * sizes[source]}
            for source, doc_counts in counts.items()
        }
        by_source: dict[str, list[Paragraph]] = {}
        for p in self.paragraphs:
            by_source.setdefault(p.source, []).append(p)
        self._titles = {source: document_title(source, ps) for source, ps in by_source.items()}
        # Every word and number that names some document: what without_names takes out of a question.
        self._naming = frozenset().union(*(t.words | t.numbers for t in self._titles.values()))
        self._bm25 = None
        terms = [search_terms(indexed_text(p)) for p in self.paragraphs]
        self.terms: dict[str, frozenset[str]] = {p.id: frozenset(t) for p, t in zip(self.paragraphs, terms)}
        self._df: dict[str, int] = {}
        for doc_terms in terms:
            for t in set(doc_terms):
                self._df[t] = self._df.get(t, 0) + 1
        if self.paragraphs:
            self._bm25 = bm25s.BM25()
            # A paragraph with no content terms still needs a row, so BM25 rows match paragraph order.
            self._bm25.index([t or ["\x00"] for t in terms], show_progress=False)

    def __len__(self) -> int:
        return len(self.paragraphs)

    def idf(self, term: str) -> float:
        """BM25-style inverse document frequency; an unseen term weighs the most."""
        n, df = len(self.paragraphs), self._df.get(term, 0)
        return math.log((n - df + 0.5) / (df + 0.5) + 1.0)

    def document_words(self, source: str) -> set[str]:
        return self._document_words.get(source, set())

    def document_topics(self, source: str) -> set[str]:
        """Words in at least TOPIC_SHARE of the document's paragraphs: what the document is about."""
        return self._topics.get(source, set())

    def title(self, source: str) -> DocumentTitle:
        """The words and numbers that name the document (see DocumentTitle)."""
        return self._titles.get(source, NO_TITLE)

    def without_names(self, question: str) -> str | None:
        """The question without the words and numbers that name a document ("How many tissue blocks were
        studied in the IJSR 2024 article on P63, PSA and BCL-2?" -> "How many tissue blocks were studied in
        the article on , and ?"), or None when it names none or under two terms would be left to search for. Such
        words match every paragraph of the named document, and a rare one outweighs what the question asks."""
        kept, dropped = [], False
        for token in re.findall(r"\S+", question):
            said = words(token)
            if said and self._naming.issuperset(said) and content_terms(token):
                dropped = True
                continue
            kept.append(token)
        stripped = " ".join(kept)
        # One word left ("What happened to the") is no question: its search would bring in anything.
        return stripped if dropped and len(set(content_terms(stripped))) >= 2 else None

    @property
    def sources(self) -> list[str]:
        return sorted(self.source_set)

    def bm25(self, question: str, k: int, sources: Sequence[str] | None = None) -> list[str]:
        terms = search_terms(question)
        if self._bm25 is None or not terms:
            return []
        mask = None
        if sources:
            mask = np.isin(self._sources, list(sources)).astype(np.float32)
        scores = self._bm25.get_scores(terms, weight_mask=mask)
        top = np.argsort(-scores, kind="stable")[:k]
        return [self.paragraphs[i].id for i in top if scores[i] > 0]


@dataclass(frozen=True)
class FusionWeights:
    dense: float = 0.5
    bm25: float = 1.0
    coverage: float = 0.02
    unnamed: float = 1.0  # the rankings for the question without the words naming a document, against the rest


def _paragraph_ranking(corpus: Corpus, dense: Sequence[DenseHit]) -> list[str]:
    """Chunks -> paragraphs, keeping each paragraph's best rank."""
    ids: list[str] = []
    for hit in dense:
        if hit.paragraph_id not in ids and hit.paragraph_id in corpus.by_id:
            ids.append(hit.paragraph_id)
    return ids


def fuse(
    corpus: Corpus,
    question: str,
    dense: Sequence[DenseHit],
    bm25_ids: Sequence[str],
    rrf_k: int,
    limit: int,
    weights: FusionWeights = FusionWeights(),
    unnamed: tuple[Sequence[DenseHit], Sequence[str]] | None = None,
) -> list[ScoredParagraph]:
    """Reciprocal-rank fusion, BM25 weighted above dense, plus the IDF-weighted share of the question's
    terms each paragraph holds. Near-duplicate paragraphs that differ in a name or a number look alike to
    the embedding model; the exact terms tell them apart. (Weights chosen on evals/dev_qa.jsonl.)"""
    dense_ids = _paragraph_ranking(corpus, dense)
    dense_rank = {pid: r for r, pid in enumerate(dense_ids, start=1)}
    bm25_rank = {pid: r for r, pid in enumerate(bm25_ids, start=1)}
    rankings, fusion_weights = [dense_ids, list(bm25_ids)], [weights.dense, weights.bm25]
    if unnamed is not None and weights.unnamed:
        rankings += [_paragraph_ranking(corpus, unnamed[0]), list(unnamed[1])]
        fusion_weights += [weights.unnamed * weights.dense, weights.unnamed * weights.bm25]
    scores = reciprocal_rank_fusion(rankings, rrf_k, fusion_weights)
    if weights.coverage:
        q_terms = {t: corpus.idf(t) for t in set(search_terms(question))}
        total = sum(q_terms.values()) or 1.0
        for pid in scores:
            held = corpus.terms[pid]
            scores[pid] += weights.coverage * sum(w for t, w in q_terms.items() if t in held) / total
    fused = sorted(scores.items(), key=lambda kv: -kv[1])[:limit]
    return [ScoredParagraph(corpus.by_id[pid], score, dense_rank.get(pid), bm25_rank.get(pid)) for pid, score in fused]
