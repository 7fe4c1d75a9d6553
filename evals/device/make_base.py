"""Rebuild the packaged MiniLM folder on the device from .gpu/ (evals/device/prepare.py): python3 make_base.py DIR."""

import json
import shutil
import sys
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file

out = Path(sys.argv[1])
out.mkdir(parents=True, exist_ok=True)
for f in Path(".gpu/base").iterdir():
    shutil.copy(f, out / f.name)
parts = load_file(".gpu/base_parts.safetensors")
ids, rows = parts.pop("emb_ids"), parts.pop("emb_rows")
config = json.loads((out / "config.json").read_text())
emb = torch.zeros(config["vocab_size"], rows.shape[1])
emb[ids] = rows.float()
state = {k: v.float() for k, v in parts.items()}
state["embeddings.word_embeddings.weight"] = emb
state["embeddings.position_ids"] = torch.arange(config["max_position_embeddings"]).unsqueeze(0)
save_file(state, str(out / "model.safetensors"), metadata={"format": "pt"})
print("base rebuilt", len(ids), "rows")
