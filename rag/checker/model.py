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

import torch
from torch import nn

from rag.reader.model import FROZEN

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
    from safetensors.torch import save_file

    folder.mkdir(parents=True, exist_ok=True)
    state = {
        k: v.detach().to("cpu", torch.float16).contiguous() for k, v in net.state_dict().items() if k not in FROZEN
    }
    save_file(state, str(folder / WEIGHTS_FILE), metadata={"base": "all-MiniLM-L6-v2"})
    (folder / CONFIG_FILE).write_text(json.dumps({**config.__dict__, **info}, indent=1) + "\n")


class CheckerMissing(RuntimeError):
    """No trained checker to load: the packaged base or the committed weights are missing or do not fit."""


def load_net(base: Path, folder: Path = WEIGHTS_DIR) -> tuple[CheckerNet, CheckerConfig]:
    from safetensors.torch import load_file

    path = folder / WEIGHTS_FILE
    if not path.exists():
        raise CheckerMissing(f"no trained claim checker at {path}: run python -m rag.checker.train")
    net = build_net(base)
    trained = {k: v.float() for k, v in load_file(str(path)).items()}
    missing, unexpected = net.load_state_dict(trained, strict=False)
    extra = [k for k in missing if k not in FROZEN and not k.endswith("position_ids")]
    if extra or unexpected:
        raise CheckerMissing(f"{path} does not fit the base model: missing {extra}, unexpected {unexpected}")
    net.eval()
    return net, CheckerConfig.load(folder / CONFIG_FILE)
