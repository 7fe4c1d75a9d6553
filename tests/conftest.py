import os
from pathlib import Path

import pytest

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"


@pytest.fixture
def hash_settings(tmp_path):
    """Settings for a throwaway index with the hash embedder: real Chroma, no model."""
    import rag

    return rag.Settings(index=tmp_path / "index", embedding_model="hash")


@pytest.fixture
def seeds_copy(tmp_path):
    """A private copy of the seed reports that a test may change."""
    folder = tmp_path / "reports"
    folder.mkdir()
    for f in sorted(SEEDS.glob("*.txt")):
        (folder / f.name).write_bytes(f.read_bytes())
    return folder
