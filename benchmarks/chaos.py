"""Kill `rag ingest` at random moments, re-run it, and check the index ends exactly right.

    .venv/bin/python -m benchmarks.chaos --files 300 --kills 20            # the long run (real model)
    .venv/bin/python -m benchmarks.chaos --files 40 --kills 5 --hash        # the short one, as in tests

At the end the store must hold every paragraph of every file exactly once (no paragraph missing, none
extra, none stale), the manifest must match the store, and the answers must equal those of an index built
without interruption.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

from benchmarks.bench import make_corpus
from rag.paragraphs import split_paragraphs


def _expected(corpus: Path) -> set[str]:
    return {p.id for f in sorted(corpus.glob("*.txt")) for p in split_paragraphs(f.read_text(encoding="utf-8"), f.name)}


def run(files: int, kills: int, work: Path, seeds: Path, use_hash: bool, seed: int = 7) -> dict:
    import rag

    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    corpus = make_corpus((files - 5) * 5, work / "corpus", seeds, seed=seed)  # 5 paragraphs a distractor file
    for f in corpus.glob("distractor_*.txt"):  # split the 25-paragraph files into 5-paragraph ones
        parts = f.read_text(encoding="utf-8").strip().split("\n\n")
        for i in range(0, len(parts), 5):
            (corpus / f"{f.stem}_{i // 5}.txt").write_text("\n\n".join(parts[i : i + 5]) + "\n", encoding="utf-8")
        f.unlink()
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "RAG_INDEX": str(work / "index")}
    if use_hash:
        env["RAG_EMBEDDING_MODEL"] = "hash"
    rag_bin = Path(sys.executable).parent / "rag"
    rng = random.Random(seed)
    done_kills, runs, started = 0, 0, time.time()
    # Learn how long an uninterrupted ingest takes, so kills land anywhere inside one.
    probe = time.perf_counter()
    subprocess.run([rag_bin, "ingest", str(corpus), "--json"], env=env, capture_output=True, check=False)
    full = time.perf_counter() - probe
    while done_kills < kills:
        # Each round changes some files, so every run has work to be killed in the middle of.
        for f in rng.sample(sorted(corpus.glob("*.txt")), k=max(3, len(list(corpus.glob("*.txt"))) // 6)):
            text = f.read_text(encoding="utf-8")
            f.write_text(text.replace(" the ", " the  ", 1) if " the " in text else text + "\n", encoding="utf-8")
        if rng.random() < 0.3:  # and sometimes a file goes away
            victim = rng.choice(sorted(corpus.glob("distractor_*.txt")))
            victim.unlink()
        proc = subprocess.Popen(
            [rag_bin, "ingest", str(corpus), "--json"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        runs += 1
        try:
            proc.wait(timeout=rng.uniform(0.2, max(0.5, full)))
        except subprocess.TimeoutExpired:
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            done_kills += 1
    final = subprocess.run(
        [rag_bin, "ingest", str(corpus), "--json"], env=env, capture_output=True, text=True, check=False
    )
    runs += 1

    settings = rag.Settings(
        index=work / "index", embedding_model="hash" if use_hash else rag.Settings().embedding_model
    )
    lib = rag.Library(settings)
    consistency = lib.verify()
    paragraphs = lib.paragraphs()
    stored = {p.id for p in paragraphs}
    # The same stretch of the same file stored twice, under whatever id, is a duplicate.
    duplicates = len(paragraphs) - len({(p.source, p.start, p.end) for p in paragraphs})
    expected = _expected(corpus)
    # The same corpus indexed once, without interruption, must give the same answers.
    clean = rag.Library(settings.model_copy(update={"index": work / "clean-index"}))
    clean.ingest([corpus])
    questions = [json.loads(line)["question"] for line in Path("evals/seed_qa.jsonl").read_text().splitlines()[:40]]
    same_answers = sum(a.answer == b.answer for a, b in zip(lib.ask_many(questions), clean.ask_many(questions)))
    return {
        "files": len(list(corpus.glob("*.txt"))),
        "kills": done_kills,
        "runs": runs,
        "final_ingest_exit": final.returncode,
        "paragraphs_expected": len(expected),
        "paragraphs_stored": len(stored),
        "lost": len(expected - stored),
        "duplicates": duplicates,
        "extra_or_stale": len(stored - expected),
        "orphan_chunks": consistency.orphans,
        "consistent": consistency.ok,
        "same_answers": f"{same_answers}/{len(questions)}",
        "seconds": round(time.time() - started, 1),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--files", type=int, default=300)
    ap.add_argument("--kills", type=int, default=20)
    ap.add_argument("--work", type=Path, default=Path("build/chaos"))
    ap.add_argument("--seeds", type=Path, default=Path("seeds"))
    ap.add_argument("--hash", action="store_true", help="hash embedder (fast; for the short run)")
    args = ap.parse_args()
    result = run(args.files, args.kills, args.work, args.seeds, args.hash)
    print(json.dumps(result, indent=1))
    ok = (
        result["consistent"]
        and not result["lost"]
        and not result["duplicates"]
        and not result["extra_or_stale"]
        and result["final_ingest_exit"] == 0
    )
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
