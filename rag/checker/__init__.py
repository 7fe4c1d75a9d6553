"""The claim checker: is a claim, made in answer to a question, supported by a passage? A cross-encoder on the
packaged MiniLM (rag/checker/model.py), trained by ``python -m rag.checker.train``, read by check.py."""
