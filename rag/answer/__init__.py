"""Answerers turn a question and its evidence into an Answer whose every [n] marker is a checked citation."""

ABSTAIN_MESSAGE = "The reports don't say. No passage in the indexed documents supports an answer to this question."
