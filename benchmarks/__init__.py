"""Measurement tools over the public API: bench, chaos, load and the llama-index baseline (run from a checkout)."""
