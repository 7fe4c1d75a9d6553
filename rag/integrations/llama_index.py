"""LlamaIndex integration (extra `llama-index`), over the public API only.

- ``RagRetriever``: our hybrid retrieval as a LlamaIndex retriever. Each ``TextNode`` is one paragraph, with
  its id, source, paragraph number, page, section and exact character offsets in the stored document text.
- ``RagQueryEngine``: our checked answer as a LlamaIndex ``Response``; the cited paragraphs are its
  ``source_nodes`` and the answer's citations, short answer and verification are in ``metadata``.
- ``LlamaIndexLLM``: any LlamaIndex LLM object (``OpenAILike``, ``Ollama``, ...) as our answering backend;
  every sentence of its reply is still verified against the cited paragraphs.

LlamaIndex's global ``Settings`` is never set here.
"""

from __future__ import annotations

from typing import Iterator, Sequence

from llama_index.core.base.base_query_engine import BaseQueryEngine
from llama_index.core.base.base_retriever import BaseRetriever
from llama_index.core.base.llms.types import ChatMessage, MessageRole
from llama_index.core.base.response.schema import Response
from llama_index.core.callbacks import CallbackManager
from llama_index.core.llms import LLM as LlamaIndexBaseLLM
from llama_index.core.schema import NodeWithScore, QueryBundle, TextNode

import rag
from rag.types import Paragraph

_ROLES = {"system": MessageRole.SYSTEM, "user": MessageRole.USER, "assistant": MessageRole.ASSISTANT}


def paragraph_node(paragraph: Paragraph) -> TextNode:
    """One paragraph as a node: its id is the paragraph id, its offsets those of the stored document text."""
    return TextNode(
        id_=paragraph.id,
        text=paragraph.text,
        start_char_idx=paragraph.start,
        end_char_idx=paragraph.end,
        metadata={
            "paragraph_id": paragraph.id,
            "source": paragraph.source,
            "paragraph": paragraph.number,
            "page": paragraph.page,
            "section": paragraph.section,
        },
        # Offsets and ids are for the caller; an LLM reading the node needs only the text and where it is from.
        excluded_llm_metadata_keys=["paragraph_id", "paragraph"],
        excluded_embed_metadata_keys=["paragraph_id", "paragraph", "page"],
    )


class RagRetriever(BaseRetriever):
    """Hybrid (dense + BM25) retrieval of a ``rag.Library``: the evidence paragraphs, best first."""

    def __init__(
        self,
        library: rag.Library,
        sources: Sequence[str] | None = None,
        top_k: int | None = None,
        callback_manager: CallbackManager | None = None,
    ):
        super().__init__(callback_manager=callback_manager or CallbackManager([]))
        self._library, self._sources, self._top_k = library, library.check_sources(sources), top_k

    def _retrieve(self, query_bundle: QueryBundle) -> list[NodeWithScore]:
        found = self._library.retrieve(query_bundle.query_str, self._sources)
        found = found[: self._top_k] if self._top_k else found
        return [NodeWithScore(node=paragraph_node(e.paragraph), score=e.score) for e in found]


class RagQueryEngine(BaseQueryEngine):
    """Questions answered by the library (extractive, or with ``llm`` any of our or LlamaIndex's models),
    every ``[n]`` checked against its paragraph; an abstention is a ``Response`` with no source nodes."""

    def __init__(
        self,
        library: rag.Library,
        sources: Sequence[str] | None = None,
        llm: rag.LLM | LlamaIndexBaseLLM | None = None,
        callback_manager: CallbackManager | None = None,
    ):
        super().__init__(callback_manager=callback_manager or CallbackManager([]))
        self._library, self._sources = library, library.check_sources(sources)
        self._llm = LlamaIndexLLM(llm) if isinstance(llm, LlamaIndexBaseLLM) else llm

    def _get_prompt_modules(self) -> dict:
        return {}

    def _query(self, query_bundle: QueryBundle) -> Response:
        if self._llm is None:
            answer = self._library.ask(query_bundle.query_str, self._sources)
        else:
            answer = self._library.ask(query_bundle.query_str, self._sources, llm=self._llm)
        return answer_response(self._library, answer)

    async def _aquery(self, query_bundle: QueryBundle) -> Response:
        return self._query(query_bundle)


def answer_response(library: rag.Library, answer: rag.Answer) -> Response:
    """Our answer as a LlamaIndex Response: the cited paragraphs in marker order as source nodes."""
    nodes = []
    for c in answer.citations:
        paragraph = library.paragraph(f"{c.source}#{c.paragraph}")
        if paragraph is not None:
            nodes.append(NodeWithScore(node=paragraph_node(paragraph), score=c.score))
    d = answer.to_dict()
    return Response(
        response=answer.answer,
        source_nodes=nodes,
        metadata={
            "abstained": answer.abstained,
            "short_answer": answer.short_answer,
            "short_span": d["short_span"],
            "citations": d["citations"],
            "verification": d["meta"].get("verification"),
            "meta": d["meta"],
        },
    )


class LlamaIndexLLM:
    """A LlamaIndex LLM speaking our small LLM protocol (``rag.answer.llm.LLM``)."""

    backend = "llama-index"

    def __init__(self, llm: LlamaIndexBaseLLM):
        self._llm = llm
        self.model = f"{type(llm).__name__}:{llm.metadata.model_name}"

    def stream(self, messages: list[dict[str, str]], max_tokens: int) -> Iterator[str]:
        chat = [ChatMessage(role=_ROLES.get(m["role"], MessageRole.USER), content=m["content"]) for m in messages]
        try:
            for chunk in self._llm.stream_chat(chat):
                if chunk.delta:
                    yield chunk.delta
        except Exception as exc:  # any provider's failure, said plainly
            raise rag.LLMError(f"{self.model} failed: {exc}") from exc
