"""The MCP server through the official SDK's own client, over stdio: `rag mcp` as a real subprocess."""

import json
import os
import subprocess
import sys
import time

import anyio
import pytest

from .conftest import SEEDS, free_port

pytest.importorskip("mcp")

from mcp import Client  # noqa: E402
from mcp.client.stdio import StdioServerParameters  # noqa: E402

Q = "When did Abu Hafs al-Hashemi al-Qurashi take over the leadership of ISIS?"


@pytest.fixture(scope="module")
def index(seeds_settings):
    return seeds_settings.index


def test_mcp_tools_over_stdio(index):
    results = {}

    async def session():
        params = StdioServerParameters(
            command=sys.executable,
            args=["-m", "rag.cli", "mcp", "--index", str(index)],
            env={**os.environ, "HF_HUB_OFFLINE": "1"},
        )
        async with Client(params) as client:
            results["tools"] = {t.name for t in (await client.list_tools()).tools}
            results["ask"] = await client.call_tool("ask", {"question": Q})
            results["search"] = await client.call_tool("search", {"query": Q, "top_k": 3})
            results["documents"] = await client.call_tool("list_documents", {})
            results["unknown_source"] = await client.call_tool("ask", {"question": Q, "sources": ["missing.txt"]})
            results["unknown_paragraph"] = await client.call_tool("get_paragraph", {"paragraph_id": "nope#1"})
            results["empty"] = await client.call_tool("ask", {"question": "  "})
            found = results["search"].structured_content["result"]
            results["paragraph"] = await client.call_tool("get_paragraph", {"paragraph_id": found[0]["id"]})

    anyio.run(session)
    assert results["tools"] == {"ask", "search", "list_documents", "get_paragraph"}

    answer = results["ask"].structured_content
    assert json.loads(results["ask"].content[0].text) == answer
    assert not results["ask"].is_error and not answer["abstained"] and answer["short_answer"] == "August 2023"
    assert "[1]" in answer["answer"] and answer["citations"][0]["quote"] in answer["citations"][0]["text"]

    hits = results["search"].structured_content["result"]
    assert len(hits) == 3 and any("August 2023" in h["text"] for h in hits)
    stored = (SEEDS / hits[0]["source"]).read_text(encoding="utf-8")
    assert stored[hits[0]["start"] : hits[0]["end"]] == hits[0]["text"]
    assert results["paragraph"].structured_content["text"] == hits[0]["text"]

    documents = results["documents"].structured_content["result"]
    assert len(documents) == 5 and all(d["paragraphs"] > 0 for d in documents)

    for bad, needle in [
        ("unknown_source", "'missing.txt' is not indexed"),
        ("unknown_paragraph", "nope#1"),
        ("empty", "question"),
    ]:
        assert results[bad].is_error and needle in results[bad].content[0].text, bad


def test_mcp_over_streamable_http(index):
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "rag.cli", "mcp", "--http", "--port", str(port), "--index", str(index)],
        env={**os.environ, "HF_HUB_OFFLINE": "1"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    results = {}

    async def session():
        async with Client(f"http://127.0.0.1:{port}/mcp") as client:
            results["ask"] = await client.call_tool("ask", {"question": Q})

    try:
        deadline = time.time() + 90
        while True:
            try:
                anyio.run(session)
                break
            except Exception:
                if time.time() > deadline or proc.poll() is not None:
                    raise
                time.sleep(1)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    assert results["ask"].structured_content["short_answer"] == "August 2023"
