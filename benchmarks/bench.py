"""`rag bench`: cost and quality as the corpus grows, ours beside a plain llama-index pipeline.

The corpus is the five seed reports surrounded by N distractor paragraphs made from the seeds' and the
SQuAD subset's sentences: shuffled, recombined, with numbers, names and months varied so that no
distractor repeats a seed sentence or holds an eval question's evidence. The seed eval questions keep their
gold paragraphs as the only ones stating their facts, so retrieval quality under distractors is measurable.
Each pipeline runs in its own process, so memory is its own.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import re
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

from rag.embeddings import load_embedder
from rag.paragraphs import chunk_paragraph, split_paragraphs
from rag.settings import Settings
from rag.text import sentence_spans

PARAGRAPHS_PER_FILE = 25
# Bumped when the generator changes, so a corpus left from an older one is made again.
GENERATOR_VERSION = 2
_NUMBER = re.compile(r"\b\d[\d,]*(?:\.\d+)?\b")
_MONTHS = "January February March April May June July August September October November December".split()
_PLACES = (
    "Tal Abyad|Manbij|Qamishli|Hasakah|Idlib|Daraa|Quneitra|Tartus|Latakia|Jableh|Salamiyah|Qaryatayn|Tadmur|"
    "Mayadin|Bukamal|Hajin|Shaddadi|Markada|Ain Issa|Kobani|Afrin|Azaz|Jarablus|Saraqib|Maarat|Kafranbel|"
    "Suwayda|Busra|Nawa|Inkhil|Khan Shaykhun|Mosul|Tikrit|Fallujah|Ramadi|Kirkuk|Sinjar|Tal Afar|Baiji|Samarra"
).split("|")
_GIVEN = "Ahmad Omar Khalid Yusuf Hassan Karim Samir Nabil Faris Rami Walid Ziad Tariq Bilal Hamza Jamal".split()
_FAMILY = "Haddad Khoury Nasser Saleh Darwish Mansour Qasim Rahman Hijazi Sabbagh Tamimi Jaber Awad Zaher".split()


def _sentence_pool(seeds: Path, squad: Path | None) -> list[str]:
    pool = []
    for f in sorted(seeds.glob("*.txt")):
        for p in split_paragraphs(f.read_text(encoding="utf-8"), f.name):
            pool += [p.text[s:e] for s, e in sentence_spans(p.text) if e - s > 40]
    if squad and squad.exists():
        data = json.loads(squad.read_text(encoding="utf-8"))
        for article in data["articles"]:
            for para in article["paragraphs"]:
                pool += [para["text"][s:e] for s, e in sentence_spans(para["text"]) if e - s > 40]
    return pool


def _vary(sentence: str, rng: random.Random) -> str:
    """Another fact of the same shape: other numbers, other places and people, another month."""

    def number(m: re.Match) -> str:
        digits = m.group(0).replace(",", "")
        if "." in digits:
            return f"{rng.uniform(1, 99):.1f}"
        value = int(digits)
        if 1900 <= value <= 2030:
            return str(rng.randint(1990, 2026))
        return str(max(1, int(value * rng.uniform(0.3, 3.0)) + rng.randint(1, 9)))

    out = _NUMBER.sub(number, sentence)
    out = re.sub("|".join(_MONTHS), lambda m: rng.choice(_MONTHS), out)

    def name(m: re.Match) -> str:
        if m.start() == 0 or rng.random() < 0.25:
            return m.group(0)
        if len(m.group(0).split()) >= 2:
            return f"{rng.choice(_GIVEN)} {rng.choice(_FAMILY)}"
        return rng.choice(_PLACES)

    return re.sub(r"\b[A-Z][a-z]+(?:\s+(?:al-)?[A-Z][a-z]+)*", name, out)


def _distractor_sentence(pool: list[str], originals: set[str], rng: random.Random, protected: tuple[str, ...]) -> str:
    """A pool sentence with its facts changed. Sentences that come out unchanged (nothing to vary, or every
    name kept by chance) or still holding protected text are drawn again: a copy of a seed fact elsewhere
    would make its question ambiguous, and recall would measure a coin toss between copies."""
    for _ in range(10_000):
        varied = _vary(rng.choice(pool), rng)
        if varied not in originals and not any(p in varied for p in protected):
            return varied
    raise ValueError("the sentence pool has nothing that can be varied")


def make_corpus(
    n: int,
    out: Path,
    seeds: Path,
    squad: Path | None = None,
    seed: int = 13,
    protected: tuple[str, ...] = (),
) -> Path:
    """Write the five seeds plus ``n`` distractor paragraphs under ``out``; no distractor contains any of
    ``protected`` (the eval questions' evidence). The same arguments give the same bytes. Returns ``out``."""
    marker = out / ".complete"
    stamp = f"{GENERATOR_VERSION}:{n}:{seed}:{hashlib.sha256(repr(sorted(protected)).encode()).hexdigest()[:16]}"
    if marker.exists() and marker.read_text() == stamp:
        return out
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    for f in sorted(seeds.glob("*.txt")):
        shutil.copyfile(f, out / f.name)
    rng = random.Random(seed)
    pool = _sentence_pool(seeds, squad)
    originals = set(pool)
    paragraphs = []
    seen = set()
    while len(paragraphs) < n:
        text = " ".join(_distractor_sentence(pool, originals, rng, protected) for _ in range(rng.randint(2, 5)))
        if text not in seen:
            seen.add(text)
            paragraphs.append(text)
    for i in range(0, n, PARAGRAPHS_PER_FILE):
        body = "\n\n".join(paragraphs[i : i + PARAGRAPHS_PER_FILE])
        (out / f"distractor_{i // PARAGRAPHS_PER_FILE:05d}.txt").write_text(body + "\n", encoding="utf-8")
    marker.write_text(stamp)
    return out


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 2) if ordered else float("nan")


def _rss_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def _questions(eval_set: Path) -> list[dict]:
    return [json.loads(line) for line in eval_set.read_text(encoding="utf-8").splitlines() if line.strip()]


def eval_evidence(eval_set: Path) -> tuple[str, ...]:
    """The evidence strings of the set's answerable questions: what no distractor may contain."""
    return tuple(q["evidence"] for q in _questions(eval_set) if q["answerable"])


def _gold(item: dict, text: str, source: str) -> bool:
    return source == item["source"] and item["evidence"] in text


def embed_only(corpus: Path, embedder) -> dict:
    """The embedding model's own encode throughput on the corpus paragraphs: the ceiling for ingest."""
    texts = [
        p.text for f in sorted(corpus.glob("*.txt")) for p in split_paragraphs(f.read_text(encoding="utf-8"), f.name)
    ]
    embedder.embed_documents(texts[:64])  # warm-up
    started = time.perf_counter()
    embedder.embed_documents(texts)
    seconds = time.perf_counter() - started
    return {
        "paragraphs": len(texts),
        "embed_only_s": round(seconds, 2),
        "embed_only_per_s": round(len(texts) / seconds, 1),
    }


def token_accounting(chunks: list[str], embedder, ingest_s: float) -> dict:
    """How much of the text a pipeline really embeds: the model reads at most its length limit of each
    chunk and silently drops the rest, so paragraphs per second alone can flatter a pipeline that drops more."""
    if not hasattr(embedder, "token_counts"):  # the hash embedder has no tokens to count
        return {"chunks": len(chunks)}
    full, read = embedder.token_counts(chunks)
    return {
        "chunks": len(chunks),
        "tokens_embedded": sum(read),
        "text_embedded_share": round(sum(read) / max(1, sum(full)), 4),
        "embedded_tokens_per_s": round(sum(read) / ingest_s, 1),
    }


def run_ours(corpus: Path, index: Path, eval_set: Path, ceiling: bool = True) -> dict:
    import rag

    shutil.rmtree(index, ignore_errors=True)
    lib = rag.open(index)
    # In the same process and with the same warm model as the ingest it bounds, so the ratio is fair.
    encode_only = embed_only(corpus, lib.embedder) if ceiling else {}
    started = time.perf_counter()
    report = lib.ingest([corpus])
    lib.warm_up()  # BM25 and the paragraph table are part of ingest's cost
    ingest_s = time.perf_counter() - started
    paragraphs = sum(f.paragraphs for f in report.files)
    items = [q for q in _questions(eval_set) if q["answerable"]]
    for q in items[:5]:
        lib.ask(q["question"])
    retrieve_ms, answer_ms, hits = [], [], 0
    for q in items:
        t0 = time.perf_counter()
        evidence = lib.retrieve(q["question"])
        retrieve_ms.append((time.perf_counter() - t0) * 1000)
        hits += any(_gold(q, e.paragraph.text, e.paragraph.source) for e in evidence[:5])
        t0 = time.perf_counter()
        lib.ask(q["question"])
        answer_ms.append((time.perf_counter() - t0) * 1000)
    check_ms, claims = checking_cost(lib, items)
    return {
        **encode_only,
        "paragraphs": paragraphs,
        "ingest_s": round(ingest_s, 2),
        "ingest_per_s": round(paragraphs / ingest_s, 1),
        "retrieve_p50_ms": _percentile(retrieve_ms, 0.5),
        "retrieve_p95_ms": _percentile(retrieve_ms, 0.95),
        "answer_p50_ms": _percentile(answer_ms, 0.5),
        "answer_p95_ms": _percentile(answer_ms, 0.95),
        "recall_at_5": round(hits / len(items), 4),
        "check_claims_per_answer": claims,
        "check_p50_ms": _percentile(check_ms, 0.5),
        "check_p95_ms": _percentile(check_ms, 0.95),
        "rss_mb": _rss_mb(),
        **token_accounting(
            [c.text for p in lib.paragraphs() for c in chunk_paragraph(p, lib.settings.chunk_chars)],
            lib.embedder,
            ingest_s,
        ),
    }


CHECKED_CLAIMS = 5


def checking_cost(lib, items: list[dict]) -> tuple[list[float], float]:
    """What verifying an LLM answer costs: a scripted model replies with one sentence of each of the top five
    evidence paragraphs, each cited and reworded (a word left out, as a model paraphrases: a word-for-word
    quote is supported without the checker), and the time the product spends checking them is read back."""
    from rag.claim_eval import FixedReply

    ms, claims = [], []
    for q in items:
        evidence = lib.retrieve(q["question"])[:CHECKED_CLAIMS]
        sentences = []
        for n, e in enumerate(evidence, start=1):
            spans = sentence_spans(e.paragraph.text)
            if spans:
                s, end = spans[0]
                said = e.paragraph.text[s:end].strip().rstrip(".").split()
                del said[len(said) // 2 : len(said) // 2 + (len(said) > 3)]
                sentences.append(f"{' '.join(said)} [{n}].")
        answer = lib.ask(q["question"], llm=FixedReply(" ".join(sentences)))
        if answer.meta.verification is not None and answer.meta.verification.ms is not None:
            ms.append(answer.meta.verification.ms)
            claims.append(answer.meta.verification.checked)
    return ms, round(sum(claims) / max(1, len(claims)), 2)


def run_baseline(corpus: Path, index: Path, eval_set: Path, paragraphs: int) -> dict:
    from benchmarks.llamaindex_baseline import build, chunk_texts, retriever

    shutil.rmtree(index, ignore_errors=True)
    started = time.perf_counter()
    vector_index = build(corpus, index)
    ingest_s = time.perf_counter() - started
    retrieve = retriever(vector_index, top_k=5)
    items = [q for q in _questions(eval_set) if q["answerable"]]
    for q in items[:5]:
        retrieve(q["question"])
    retrieve_ms, hits = [], 0
    for q in items:
        t0 = time.perf_counter()
        nodes = retrieve(q["question"])
        retrieve_ms.append((time.perf_counter() - t0) * 1000)
        hits += any(_gold(q, text, source) for text, source in nodes)
    return {
        "ingest_s": round(ingest_s, 2),
        "ingest_per_s": round(paragraphs / ingest_s, 1),
        "retrieve_p50_ms": _percentile(retrieve_ms, 0.5),
        "retrieve_p95_ms": _percentile(retrieve_ms, 0.95),
        "recall_at_5": round(hits / len(items), 4),
        "rss_mb": _rss_mb(),  # before the accounting below loads a second copy of the model
        **token_accounting(chunk_texts(corpus), load_embedder(Settings()), ingest_s),
    }


CHECKOUT = Path(__file__).resolve().parents[1]


def _in_child(task: str, **kwargs) -> dict:
    """Run one measurement in a fresh process, so its memory and warm caches are its own."""
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.bench", task, json.dumps({k: str(v) for k, v in kwargs.items()})],
        env=env,
        cwd=CHECKOUT,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"bench {task} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def bench(
    paragraphs: int,
    work: Path,
    seeds: Path,
    eval_set: Path,
    squad: Path | None,
    baseline: bool,
    ceiling: bool = True,
) -> dict:
    corpus = make_corpus(paragraphs, work / f"corpus-{paragraphs}", seeds, squad, protected=eval_evidence(eval_set))
    result = {"distractors": paragraphs}
    ours = _in_child("ours", corpus=corpus, index=work / f"index-{paragraphs}", eval_set=eval_set, ceiling=ceiling)
    result.update(ours)
    if "embed_only_per_s" in ours:
        result["ingest_vs_embed_only"] = round(ours["ingest_per_s"] / ours["embed_only_per_s"], 3)
    if baseline:
        result["baseline"] = _in_child(
            "baseline",
            corpus=corpus,
            index=work / f"baseline-{paragraphs}",
            eval_set=eval_set,
            paragraphs=ours["paragraphs"],
        )
    return result


if __name__ == "__main__":  # the child side of _in_child
    task, args = sys.argv[1], {k: v for k, v in json.loads(sys.argv[2]).items()}
    if task == "ours":
        out = run_ours(Path(args["corpus"]), Path(args["index"]), Path(args["eval_set"]), args["ceiling"] == "True")
    else:
        out = run_baseline(Path(args["corpus"]), Path(args["index"]), Path(args["eval_set"]), int(args["paragraphs"]))
    print(json.dumps(out))
