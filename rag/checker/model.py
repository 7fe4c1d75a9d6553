"""The checker network: the packaged MiniLM encoder with one logit on [CLS], trained as a cross-encoder.

("Q: question A: claim", passage) in; the logit of "the passage supports this claim" out. It shares the
reader's base, tokenizer and storage rules (rag/reader/model.py): the token embeddings stay as packaged and
only what training changed is committed, in half precision.

Only torch, transformers and safetensors are imported here, so training runs anywhere they are installed.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from torch import nn

from rag.reader.model import load_trained, save_trained

WEIGHTS_DIR = Path(__file__).parent / "weights"
WEIGHTS_FILE = "checker.safetensors"
CONFIG_FILE = "checker.json"


@dataclass(frozen=True)
class CheckerConfig:
    max_length: int = 320  # tokens per window: claim (with its question) + passage
    max_question_tokens: int = 96  # of the claim with its question (the name the shared windowing reads)
    stride: int = 64  # tokens shared by consecutive windows of a long passage
    threshold: float = 0.5  # P(supported) below which a claim is not supported (fitted on validation items)

    @classmethod
    def load(cls, path: Path) -> "CheckerConfig":
        raw = json.loads(path.read_text())
        return cls(**{k: raw[k] for k in cls.__dataclass_fields__ if k in raw})


class CheckerNet(nn.Module):
    def __init__(self, encoder: nn.Module):
        super().__init__()
        self.encoder = encoder
        self.head = nn.Linear(encoder.config.hidden_size, 1)

    def forward(self, input_ids, attention_mask, token_type_ids):
        hidden = self.encoder(
            input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
        ).last_hidden_state
        return self.head(hidden[:, 0]).squeeze(-1).float()


def build_net(base: Path) -> CheckerNet:
    """The untrained checker: the base encoder's weights and a fresh head."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from transformers import AutoModel
    from transformers.utils import logging as transformers_logging

    transformers_logging.disable_progress_bar()
    transformers_logging.set_verbosity_error()
    encoder = AutoModel.from_pretrained(str(base), local_files_only=True, add_pooling_layer=False)
    return CheckerNet(encoder.float())


def save(net: CheckerNet, config: CheckerConfig, folder: Path, info: dict) -> None:
    save_trained(net, folder / WEIGHTS_FILE, folder / CONFIG_FILE, {**config.__dict__, **info})


class CheckerMissing(RuntimeError):
    """No trained checker to load: the packaged base or the committed weights are missing or do not fit."""


def load_net(base: Path, folder: Path = WEIGHTS_DIR) -> tuple[CheckerNet, CheckerConfig]:
    path = folder / WEIGHTS_FILE
    if not path.exists():
        raise CheckerMissing(f"no trained claim checker at {path}: run python -m rag.checker.train")
    net = build_net(base)
    if problem := load_trained(net, path):
        raise CheckerMissing(f"{path} does not fit the base model: {problem}")
    return net, CheckerConfig.load(folder / CONFIG_FILE)
