"""Train the claim checker: ``python -m rag.checker.train`` (seeded; CPU by default, a GPU where one is at hand).

Fine-tunes the packaged all-MiniLM-L6-v2 (token embeddings frozen) as a cross-encoder on claims made from
HaluEval QA and SQuAD 2.0 (rag/checker/data.py), validates on HaluEval items and SQuAD articles it never saw,
fits the support threshold there (most claims judged right, each set weighing the same), and writes the
weights and their config to rag/checker/weights/.
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

from rag.checker import data
from rag.checker.check import claim_text, predict
from rag.checker.model import WEIGHTS_DIR, CheckerConfig, build_net, load_net, save
from rag.reader.features import collate, windows
from rag.reader.model import FROZEN, load_tokenizer, packaged_base

SHARED = Path(__file__).resolve().parents[2].parent / "shared"


def arguments(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--squad", type=Path, default=SHARED / "benchmarks/squad2-dev-train/data.json")
    p.add_argument("--halueval", type=Path, default=SHARED / "benchmarks/halueval-qa/data.jsonl")
    p.add_argument("--base", type=Path, default=None, help="base model folder (default: the packaged MiniLM)")
    p.add_argument("--out", type=Path, default=WEIGHTS_DIR)
    p.add_argument("--wrong-span", type=float, default=0.5, help="share of HaluEval items given a wrong short span")
    p.add_argument(
        "--subtle", action="store_true", help="add subtly changed and more loosely worded claims (data.subtle_claims)"
    )
    p.add_argument("--init", type=Path, default=None, help="start from these checker weights instead of the base")
    p.add_argument("--epochs", type=float, default=0.75)
    p.add_argument("--lr", type=float, default=5e-5)
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--warmup", type=float, default=0.1)
    p.add_argument("--seed", type=int, default=13)
    p.add_argument("--limit", type=int, default=None, help="train and validate on this many claims only (smoke tests)")
    p.add_argument("--max-steps", type=int, default=None)
    p.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    return p.parse_args(argv)


def load_claims(args) -> tuple[list[data.Claim], dict[str, list[data.Claim]], dict]:
    train_articles, val_articles = data.squad_split(args.squad, 5, args.seed)
    train = data.halueval_claims(args.halueval, "train", args.wrong_span, args.seed) + data.squad_claims(
        args.squad, train_articles, args.seed
    )
    val = {
        "halueval": data.halueval_claims(args.halueval, "validation", args.wrong_span, args.seed),
        "squad": data.squad_claims(args.squad, val_articles, args.seed),
    }
    if args.subtle:
        train += data.subtle_claims(train, args.seed)
    if args.limit:
        rng = random.Random(args.seed)
        train = rng.sample(train, min(args.limit, len(train)))
        val = {k: rng.sample(v, min(args.limit, len(v))) for k, v in val.items()}
    split = {
        "train_articles": sorted(train_articles),
        "validation_articles": sorted(val_articles),
        "halueval_validation": [data.HALUEVAL_VALIDATION.start, data.HALUEVAL_VALIDATION.stop],
        "halueval_held_out": [data.HALUEVAL_HELD_OUT.start, data.HALUEVAL_HELD_OUT.stop],
    }
    return train, val, split


def _windows(tokenizer, config, claims: list[data.Claim]):
    return windows(tokenizer, config, [claim_text(c.question, c.claim) for c in claims], [c.passage for c in claims])


def score(net, tokenizer, config, claims: list[data.Claim], device: str) -> np.ndarray:
    wins = _windows(tokenizer, config, claims)
    logits = predict(net, wins, 128, device)
    best = np.full(len(claims), -np.inf)
    for w, logit in zip(wins, logits):
        best[w.pair] = max(best[w.pair], logit)
    return 1 / (1 + np.exp(-best))


def auc(p: np.ndarray, y: np.ndarray) -> float:
    """Probability that a supported claim scores above an unsupported one (ties count half)."""
    pos, neg = p[y], p[~y]
    if not len(pos) or not len(neg):
        return float("nan")
    ranks = np.argsort(np.argsort(np.concatenate([pos, neg]))) + 1.0
    return float((ranks[: len(pos)].sum() - len(pos) * (len(pos) + 1) / 2) / (len(pos) * len(neg)))


def fit_threshold(sets: dict[str, tuple[np.ndarray, np.ndarray]]) -> tuple[float, dict]:
    """The threshold with the best balanced accuracy, averaged over the sets (each weighing the same)."""

    def balanced(t: float) -> float:
        return float(np.mean([((p >= t)[y].mean() + (p < t)[~y].mean()) / 2 for p, y in sets.values()]))

    grid = np.linspace(0.02, 0.98, 97)
    best = max(grid, key=balanced)
    report = {}
    for name, (p, y) in sets.items():
        report[name] = {
            "claims": int(len(y)),
            "auc": round(auc(p, y), 4),
            "supported_kept": round(float((p >= best)[y].mean()), 4),
            "unsupported_flagged": round(float((p < best)[~y].mean()), 4),
        }
    return float(best), report


SHORT_CLAIM_WORDS = 4


def length_report(p: np.ndarray, y: np.ndarray, claims: list[data.Claim]) -> dict:
    """What length alone would get (the checker must beat it), the checker's AUC within short and within long
    claims, and on HaluEval's own pairs (right answer against hallucinated answer) as ``rag eval-claims`` sees
    them."""
    words = np.array([len(c.claim.split()) for c in claims])
    short = words <= SHORT_CLAIM_WORDS
    pairs = np.array([c.id.endswith(("-right", "-hallucinated")) for c in claims])
    return {
        "length_only_auc": round(auc(-words.astype(float), y), 4),
        "short_claims_auc": round(auc(p[short], y[short]), 4),
        "long_claims_auc": round(auc(p[~short], y[~short]), 4),
        "answer_pairs_auc": round(auc(p[pairs], y[pairs]), 4),
    }


def train(args: argparse.Namespace) -> dict:
    random.seed(args.seed), np.random.seed(args.seed), torch.manual_seed(args.seed)
    started = time.time()
    base = args.base or packaged_base()
    tokenizer = load_tokenizer(base)
    config = CheckerConfig()
    train_claims, val_claims, split = load_claims(args)
    wins = _windows(tokenizer, config, train_claims)
    first = {}
    for w in wins:  # a training pair reads its first window only: the claims are made on the passage's start
        first.setdefault(w.pair, w)
    wins = list(first.values())
    labels = [float(train_claims[w.pair].supported) for w in wins]
    net = (load_net(base, args.init)[0] if args.init else build_net(base)).to(args.device)
    for name, param in net.named_parameters():
        param.requires_grad = name not in FROZEN
    params = [p for p in net.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(params, lr=args.lr, weight_decay=0.01)
    total = max(1, int(math.ceil(len(wins) / args.batch_size) * args.epochs))
    if args.max_steps:
        total = min(total, args.max_steps)
    warmup = int(total * args.warmup)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda s: min((s + 1) / max(1, warmup), max(0.0, (total - s) / max(1, total - warmup)))
    )
    rng = random.Random(args.seed)
    step, losses = 0, []
    net.train()
    while step < total:
        order = list(range(len(wins)))
        rng.shuffle(order)
        pool = args.batch_size * 50  # batches of like length, shuffled: padding is most of a CPU batch's cost
        batches = []
        for p in range(0, len(order), pool):
            chunk = sorted(order[p : p + pool], key=lambda i: len(wins[i].input_ids))
            batches += [chunk[b : b + args.batch_size] for b in range(0, len(chunk), args.batch_size)]
        rng.shuffle(batches)
        for rows in batches:
            if step >= total:
                break
            batch = collate([wins[i] for i in rows])
            logits = net(**{k: batch[k].to(args.device) for k in ("input_ids", "attention_mask", "token_type_ids")})
            target = torch.tensor([labels[i] for i in rows], device=args.device)
            loss = torch.nn.functional.binary_cross_entropy_with_logits(logits, target)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            losses.append(loss.item())
            torch.nn.utils.clip_grad_norm_(params, 1.0)
            optimizer.step()
            schedule.step()
            step += 1
            if step % 100 == 0 or step == total:
                print(f"step {step}/{total} loss {np.mean(losses[-100:]):.3f} {time.time() - started:.0f}s", flush=True)
    train_seconds = time.time() - started
    net.eval()
    scored = {
        name: (score(net, tokenizer, config, claims, args.device), np.array([c.supported for c in claims]))
        for name, claims in val_claims.items()
    }
    threshold, report = fit_threshold(scored)
    if args.subtle:  # how well it tells subtle changes apart, on validation claims (not used for the threshold)
        subtle = data.subtle_claims(val_claims["halueval"] + val_claims["squad"], args.seed)
        p_subtle = score(net, tokenizer, config, subtle, args.device)
        report["subtle"] = {
            "claims": len(subtle),
            "auc": round(auc(p_subtle, np.array([c.supported for c in subtle])), 4),
        }
    report["halueval"].update(length_report(*scored["halueval"], val_claims["halueval"]))
    config = CheckerConfig(threshold=round(threshold, 3))
    info = {
        "trained": {
            "claims": len(train_claims),
            "steps": step,
            "epochs": args.epochs,
            "lr": args.lr,
            "batch_size": args.batch_size,
            "wrong_span": args.wrong_span,
            "subtle": args.subtle,
            "init": str(args.init) if args.init else None,
            "seed": args.seed,
            "device": args.device,
            "seconds": round(train_seconds),
            "final_loss": round(float(np.mean(losses[-100:])), 4) if losses else None,
            **split,
        },
        "validation": report,
    }
    save(net.cpu(), config, args.out, info)
    print(json.dumps({"threshold": config.threshold, **report}), flush=True)
    return info


def main(argv: list[str] | None = None) -> None:
    train(arguments(argv))


if __name__ == "__main__":
    main()
