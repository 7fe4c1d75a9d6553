"""Test doubles."""

from collections import deque


class ScriptedLLM:
    """An LLM that replies with queued scripts, in order, streaming them in small pieces; records prompts."""

    backend = "scripted"
    model = "scripted-1"

    def __init__(self, *replies: str):
        self.replies = deque(replies)
        self.prompts: list[list[dict]] = []

    def enqueue(self, reply: str) -> None:
        self.replies.append(reply)

    def stream(self, messages, max_tokens):
        self.prompts.append(messages)
        reply = self.replies.popleft()
        for i in range(0, len(reply), 7):
            yield reply[i : i + 7]
