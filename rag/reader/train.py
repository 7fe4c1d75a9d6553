"""Train the reader: ``python -m rag.reader.train`` (seeded; CPU by default, a GPU where one is at hand).

Fine-tunes the packaged all-MiniLM-L6-v2 (token embeddings frozen) with a span head on SQuAD 2.0 dev articles
(split by article) plus evals/dev_qa.jsonl, reports validation scores on the held-out articles with the gold
paragraph, and writes the weights and their config to rag/reader/weights/. Calibrating abstention on whole-
pipeline answers is a separate step: evals/calibrate.py.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import time
from pathlib import Path

import numpy as np
import torch

from rag.reader import data
from rag.reader.features import best_spans, collate, windows
from rag.reader.model import (
    CONFIG_FILE,
    FROZEN,
    WEIGHTS_DIR,
    WEIGHTS_FILE,
    ReaderConfig,
    build_net,
    load_tokenizer,
    load_trained,
    packaged_base,
    save,
)
from rag.reader.read import predict
from rag.reader.squad import exact_match, token_f1

SHARED = Path(__file__).resolve().parents[2].parent / "shared"


def arguments(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--squad", type=Path, default=SHARED / "benchmarks/squad2-dev-train/data.json")
    p.add_argument("--dev-qa", type=Path, default=Path("evals/dev_qa.jsonl"))
    p.add_argument("--reports", type=Path, default=Path("seeds"), help="the reports dev_qa.jsonl asks about")
    p.add_argument("--halueval", type=Path, default=None, help="also train on HaluEval QA passages (optional)")
    p.add_argument("--halueval-limit", type=int, default=3000, help="at most this many HaluEval examples (0: all)")
    p.add_argument(
        "--halueval-cut",
        type=float,
        default=0.0,
        help="share of HaluEval examples given a near miss without the answer",
    )
    p.add_argument("--base", type=Path, default=None, help="base model folder (default: the packaged MiniLM)")
    p.add_argument(
        "--init", type=Path, default=None, help="start from these trained reader weights (a folder) instead of the base"
    )
    p.add_argument("--out", type=Path, default=WEIGHTS_DIR)
    p.add_argument("--validation-articles", type=int, default=5)
    p.add_argument("--negatives", type=float, default=0.5, help="share of answerable questions given a hard negative")
    p.add_argument("--cut", type=float, default=0.0, help="share given a near miss without the answer's sentence")
    p.add_argument("--swap", type=float, default=0.0, help="share given a near miss with a name or number swapped")
    p.add_argument("--short", type=float, default=0.0, help="share given its answer's sentence alone as a passage")
    p.add_argument("--epochs", type=float, default=3.0)
    p.add_argument("--lr", type=float, default=1e-4)
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--warmup", type=float, default=0.1)
    p.add_argument("--max-length", type=int, default=256)
    p.add_argument("--stride", type=int, default=96)
    p.add_argument("--seed", type=int, default=13)
    p.add_argument("--split-seed", type=int, default=13, help="seed of the article split (the checker uses the same)")
    p.add_argument("--limit", type=int, default=None, help="train on this many examples only (smoke tests)")
    p.add_argument("--max-steps", type=int, default=None)
    p.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    return p.parse_args(argv)


def load_examples(args: argparse.Namespace) -> tuple[list[data.Example], list[data.Example], dict]:
    squad = data.squad_examples(args.squad)
    train_groups, val_groups = data.split_groups([e.group for e in squad], args.validation_articles, args.split_seed)
    train = [e for e in squad if e.group in train_groups]
    paragraphs = data.squad_paragraphs(args.squad)
    train += (
        data.hard_negatives(train, paragraphs, args.negatives, args.seed)
        + data.without_answer_sentence(train, args.cut, args.seed)
        + data.swapped_questions(train, paragraphs, args.swap, args.seed)
        + data.short_passages(train, args.short, args.seed)
    )
    if args.dev_qa and args.dev_qa.exists():
        train += data.report_examples(args.dev_qa, args.reports)
    if args.halueval:
        halueval = data.halueval_examples(args.halueval, args.halueval_limit or None)
        train += halueval + data.without_answer_sentence(halueval, args.halueval_cut, args.seed)
    val = [e for e in squad if e.group in val_groups]
    if args.limit:
        rng = random.Random(args.seed)
        train, val = rng.sample(train, min(args.limit, len(train))), rng.sample(val, min(args.limit, len(val)))
    split = {"train_articles": sorted(train_groups), "validation_articles": sorted(val_groups)}
    return train, val, split


def _read(net, tokenizer, config, questions, passages, device):
    wins = windows(tokenizer, config, questions, passages)
    starts, ends = predict(net, wins, batch_size=128, device=device)
    return best_spans(wins, starts, ends, len(questions), config.max_answer_tokens)


def evaluate(
    net, tokenizer, config: ReaderConfig, examples: list[data.Example], device: str, paragraphs: dict | None = None
) -> dict:
    """Validation with the gold paragraph: span EM/F1 on answerable questions, and the best no-answer
    threshold on the margin for overall (SQuAD 2.0) F1. With ``paragraphs``, also the open setting the
    product meets: the gold paragraph among the three others of its article most like the question, the
    reader's best-margin span over all four."""
    net.eval()
    readings = _read(net, tokenizer, config, [e.question for e in examples], [e.passage for e in examples], device)
    scores = _scores(readings, examples, [e.passage for e in examples])
    if paragraphs:
        pairs = []
        for i, e in enumerate(examples):
            others = data.look_alikes(e.question, [p for p in paragraphs[e.group] if p != e.passage], 3)
            pairs += [(i, p) for p in [e.passage, *others]]
        flat = _read(net, tokenizer, config, [examples[i].question for i, _ in pairs], [p for _, p in pairs], device)
        best: dict[int, tuple] = {}
        for (i, passage), r in zip(pairs, flat):
            if i not in best or r.margin > best[i][0].margin:
                best[i] = (r, passage)
        open_scores = _scores(
            [best[i][0] for i in range(len(examples))], examples, [best[i][1] for i in range(len(examples))]
        )
        scores.update({f"open_{k}": v for k, v in open_scores.items() if k != "questions"})
    return scores


def _scores(readings, examples: list[data.Example], passages: list[str]) -> dict:
    spans = [p[r.start : r.end] for r, p in zip(readings, passages)]
    has = [(s, e) for s, e in zip(spans, examples) if e.answers]
    em = float(np.mean([exact_match(s, e.answers) for s, e in has])) if has else 0.0
    f1s = [token_f1(s, e.answers) if e.answers else 0.0 for s, e in zip(spans, examples)]
    # Sweep the margin threshold: answer above it, abstain below.
    margins = np.array([r.margin for r in readings])
    answerable = np.array([bool(e.answers) for e in examples])
    best = (0.0, 0.0)
    for t in np.unique(np.concatenate([margins, [1e9]])):
        answered = margins >= t
        overall = np.where(answered, np.array(f1s), (~answerable).astype(float)).mean()
        best = max(best, (float(overall), float(t)))
    return {
        "questions": len(examples),
        "has_answer_em": round(em, 4),
        "has_answer_f1": round(float(np.mean([f for f, e in zip(f1s, examples) if e.answers])) if has else 0.0, 4),
        "best_overall_f1": round(best[0], 4),
        "best_margin_threshold": round(best[1], 3),
        "no_answer_share": round(float((~answerable).mean()), 4) if len(examples) else 0.0,
    }


def _batches(wins, size: int, rng: random.Random) -> list[list[int]]:
    """Shuffled batches of windows of like length (sorted within pools of 50 batches): on a CPU, padding
    is most of the cost of a batch of mixed lengths."""
    order = list(range(len(wins)))
    rng.shuffle(order)
    pool = size * 50
    batches = []
    for p in range(0, len(order), pool):
        chunk = sorted(order[p : p + pool], key=lambda i: len(wins[i].input_ids))
        batches += [chunk[b : b + size] for b in range(0, len(chunk), size)]
    rng.shuffle(batches)
    return batches


def train(args: argparse.Namespace) -> dict:
    random.seed(args.seed), np.random.seed(args.seed), torch.manual_seed(args.seed)
    started = time.time()
    base = args.base or packaged_base()
    tokenizer = load_tokenizer(base)
    config = ReaderConfig(max_length=args.max_length, stride=args.stride)
    train_ex, val_ex, split = load_examples(args)
    wins = windows(
        tokenizer, config, [e.question for e in train_ex], [e.passage for e in train_ex], [e.answer for e in train_ex]
    )
    net = build_net(base)
    if args.init:
        if problem := load_trained(net, args.init / WEIGHTS_FILE):
            raise SystemExit(f"--init {args.init}: {problem}")
    net = net.to(args.device)
    for name, param in net.named_parameters():
        param.requires_grad = name not in FROZEN
    params = [p for p in net.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(params, lr=args.lr, weight_decay=0.01)
    steps_per_epoch = math.ceil(len(wins) / args.batch_size)
    total = max(1, int(steps_per_epoch * args.epochs))
    if args.max_steps:
        total = min(total, args.max_steps)
    warmup = int(total * args.warmup)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda s: min((s + 1) / max(1, warmup), max(0.0, (total - s) / max(1, total - warmup)))
    )
    rng = random.Random(args.seed)
    step, losses = 0, []
    use_bf16 = args.device.startswith("cuda")
    net.train()
    epoch = 0
    while step < total:
        for rows in _batches(wins, args.batch_size, rng):
            if step >= total:
                break
            batch = {k: v.to(args.device) for k, v in collate([wins[i] for i in rows]).items()}
            with torch.autocast("cuda", dtype=torch.bfloat16, enabled=use_bf16):
                s, e = net(batch["input_ids"], batch["attention_mask"], batch["token_type_ids"], batch["answer_mask"])
            loss = (
                torch.nn.functional.cross_entropy(s.float(), batch["start_labels"])
                + torch.nn.functional.cross_entropy(e.float(), batch["end_labels"])
            ) / 2
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            losses.append(loss.item())
            torch.nn.utils.clip_grad_norm_(params, 1.0)
            optimizer.step()
            schedule.step()
            step += 1
            if step % 200 == 0 or step == total:
                print(f"step {step}/{total} loss {np.mean(losses[-200:]):.3f} {time.time() - started:.0f}s", flush=True)
        epoch += 1
        save(net, config, args.out, {"trained": {"partial": True, "epochs_done": epoch, "steps": step}})
    train_seconds = time.time() - started
    metrics = evaluate(net, tokenizer, config, val_ex, args.device, data.squad_paragraphs(args.squad))
    info = {
        "trained": {
            "examples": len(train_ex),
            "windows": len(wins),
            "steps": step,
            "epochs": args.epochs,
            "lr": args.lr,
            "batch_size": args.batch_size,
            "negatives": args.negatives,
            "cut": args.cut,
            "swap": args.swap,
            "halueval": bool(args.halueval),
            "halueval_limit": args.halueval_limit if args.halueval else None,
            "halueval_cut": args.halueval_cut if args.halueval else None,
            # a continued run keeps the record of the run it started from
            "init": json.loads((args.init / CONFIG_FILE).read_text())["trained"] if args.init else None,
            "seed": args.seed,
            "device": args.device,
            "seconds": round(train_seconds),
            "final_loss": round(float(np.mean(losses[-200:])), 4) if losses else None,
            **split,
        },
        "validation": metrics,
    }
    save(net.cpu(), config, args.out, info)
    print(json.dumps(info["validation"]), flush=True)
    return info


def main(argv: list[str] | None = None) -> None:
    train(arguments(argv))


if __name__ == "__main__":
    main()
