"""The analysts' chat UI: `python app.py` (or `make run`) serves it on http://127.0.0.1:7860 (RAG_PORT)."""

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

import rag  # noqa: E402
from rag.ui.app import launch  # noqa: E402

if __name__ == "__main__":
    launch(rag.open())
