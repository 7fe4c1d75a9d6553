"""Pack what a training sweep on a borrowed GPU machine needs into .gpu/ (ignored by git; carried by the device
tool, which moves at most 64 MiB with the working tree and reaches no package registry or ../shared):

- the packaged MiniLM's config and tokenizer, its layers in float16, and in float32 only the rows of the token
  embedding matrix that the training and validation texts use (the matrix is frozen in training, so the rows
  never read cannot change a result; evals/device/make_base.py rebuilds the folder there);
- ../shared's SQuAD 2.0 training articles and HaluEval QA, gzipped.

    .venv/bin/python evals/device/prepare.py

The committed reader and checker weights (21 MB each) must be moved out of the working tree for the call, so
that the tree and .gpu/ fit; the sweeps train from the base and never read them.
"""

from __future__ import annotations

import gzip
import json
import shutil
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file

from rag.reader.model import load_tokenizer, packaged_base
from rag.reader.train import SHARED

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / ".gpu"


def texts() -> list[str]:
    squad = json.loads((SHARED / "benchmarks/squad2-dev-train/data.json").read_text(encoding="utf-8"))
    out = [p["text"] for a in squad["articles"] for p in a["paragraphs"]]
    out += [q["question"] for q in squad["questions"]] + [a for q in squad["questions"] for a in q["answers"]]
    for line in (SHARED / "benchmarks/halueval-qa/data.jsonl").read_text(encoding="utf-8").splitlines():
        item = json.loads(line)
        out += [item["question"], item["knowledge"], item["right_answer"], item["hallucinated_answer"]]
    out += [json.loads(line)["question"] for line in (ROOT / "evals/dev_qa.jsonl").read_text().splitlines() if line]
    out += [f.read_text(encoding="utf-8", errors="ignore") for f in (ROOT / "seeds").iterdir() if f.is_file()]
    return out


def main() -> None:
    base = packaged_base()
    (OUT / "base").mkdir(parents=True, exist_ok=True)
    for name in ("config.json", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "vocab.txt"):
        shutil.copy(base / name, OUT / "base" / name)
    tokenizer = load_tokenizer(base)
    used = set(tokenizer.all_special_ids)
    for text in texts():
        used.update(tokenizer(text, add_special_tokens=False)["input_ids"])
    ids = sorted(used)
    weights = load_file(str(base / "model.safetensors"))
    embedding = weights.pop("embeddings.word_embeddings.weight")
    parts = {
        k: v.half().contiguous() for k, v in weights.items() if not k.startswith("pooler") and "position_ids" not in k
    }
    parts["emb_rows"], parts["emb_ids"] = embedding[ids].contiguous(), torch.tensor(ids)
    save_file(parts, str(OUT / "base_parts.safetensors"))
    for src, name in (("squad2-dev-train/data.json", "squad.json.gz"), ("halueval-qa/data.jsonl", "halueval.jsonl.gz")):
        with open(SHARED / "benchmarks" / src, "rb") as raw, gzip.open(OUT / name, "wb") as packed:
            packed.write(raw.read())
    print(f"{len(ids)} token rows; .gpu/ ready")


if __name__ == "__main__":
    main()
