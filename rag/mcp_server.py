"""MCP server (`rag mcp`, extra `mcp`): the library's answers and paragraphs as tools for agents, over stdio or
streamable HTTP, with the official MCP Python SDK. Uses only the public API.

Tools: ``ask`` (checked answer with citations, DESIGN 2.4), ``search`` (top paragraphs with ids and exact
offsets), ``list_documents``, ``get_paragraph``. Bad input is a tool error whose message names what was wrong.
"""

from __future__ import annotations

from typing import Any

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError

import rag
from rag.types import Paragraph

INSTRUCTIONS = (
    "Answers from the user's indexed reports. `ask` returns an answer in which every [n] marker is a checked "
    "citation of an exact paragraph, or an abstention when the reports don't say; quote its citations. "
    "`search` finds paragraphs, `get_paragraph` reads one by id, `list_documents` lists what is indexed."
)


def _paragraph(p: Paragraph, score: float | None = None) -> dict[str, Any]:
    out = {
        "id": p.id,
        "source": p.source,
        "paragraph": p.number,
        "start": p.start,
        "end": p.end,
        "section": p.section,
        "page": p.page,
        "text": p.text,
    }
    if score is not None:
        out["score"] = round(score, 6)
    return out


def create_server(lib: rag.Library) -> MCPServer:
    server = MCPServer(name="rag", instructions=INSTRUCTIONS)

    def known(sources: list[str] | None) -> list[str] | None:
        try:
            return lib.check_sources(sources)
        except rag.UnknownDocument as exc:
            raise ToolError(f"{exc} (list_documents lists them)") from exc

    @server.tool(structured_output=True)
    def ask(question: str, sources: list[str] | None = None) -> dict[str, Any]:
        """Answer a question from the indexed reports. Every [n] in `answer` is a citation of an exact
        paragraph (source, paragraph number, character offsets, supporting quote); `abstained` is true when
        the reports don't say. `sources` restricts the answer to those documents."""
        try:
            return lib.ask(question, known(sources)).to_dict()
        except rag.InvalidQuestion as exc:
            raise ToolError(f"question: {exc}") from exc
        except rag.LLMError as exc:
            raise ToolError(f"language model: {exc}") from exc

    @server.tool()
    def search(query: str, top_k: int = 5, sources: list[str] | None = None) -> list[dict]:
        """The paragraphs most relevant to a query (hybrid dense + keyword retrieval), best first, each with
        its id, document, paragraph number, exact character offsets, section, page, score and text."""
        if not 1 <= top_k <= 50:
            raise ToolError(f"top_k: {top_k} is outside 1..50")
        try:
            found = lib.retrieve(query, known(sources))
        except rag.InvalidQuestion as exc:
            raise ToolError(f"query: {exc}") from exc
        return [_paragraph(e.paragraph, e.score) for e in found[:top_k]]

    @server.tool()
    def list_documents() -> list[dict]:
        """The indexed documents: name, number of paragraphs, when ingested."""
        return [
            {"source": s, "paragraphs": d.paragraphs, "ingested_at": d.ingested_at}
            for s, d in sorted(lib.documents().items())
        ]

    @server.tool(structured_output=True)
    def get_paragraph(paragraph_id: str) -> dict[str, Any]:
        """One paragraph by its id ("<source>#<number>", as citations and `search` give it)."""
        p = lib.paragraph(paragraph_id)
        if p is None:
            raise ToolError(f"unknown paragraph id {paragraph_id!r}: ids look like 'report.txt#12' (see search)")
        return _paragraph(p)

    return server


def serve(lib: rag.Library, transport: str = "stdio", host: str = "127.0.0.1", port: int = 8001) -> None:
    server = create_server(lib)
    if transport == "stdio":
        server.run("stdio")
    else:
        server.run("streamable-http", host=host, port=port)
