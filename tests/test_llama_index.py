"""The LlamaIndex integration through real LlamaIndex code paths: our retriever inside LlamaIndex's own query
engine, our query engine's Response, and LlamaIndex LLM classes as our answering backend, still verified."""

import pytest

pytest.importorskip("llama_index.core")

from llama_index.core import Settings as LlamaIndexSettings  # noqa: E402
from llama_index.core.llms import CompletionResponse, CustomLLM, LLMMetadata, MockLLM  # noqa: E402
from llama_index.core.llms.callbacks import llm_completion_callback  # noqa: E402
from llama_index.core.query_engine import RetrieverQueryEngine  # noqa: E402

import rag  # noqa: E402
from rag.answer.citations import citation_problems  # noqa: E402
from rag.integrations.llama_index import RagQueryEngine, RagRetriever  # noqa: E402

Q = "When did Abu Hafs al-Hashemi al-Qurashi take over the leadership of ISIS?"
FACT = "Abu Hafs al-Hashemi al-Qurashi took over the organization's leadership in August 2023"


@pytest.fixture(scope="module")
def library(seeds_settings):
    return rag.Library(seeds_settings)


class ScriptedLlamaIndexLLM(CustomLLM):
    """A LlamaIndex LLM (its own CustomLLM base: chat goes through its completion adapters) with a fixed reply."""

    reply: str

    @property
    def metadata(self) -> LLMMetadata:
        return LLMMetadata(model_name="scripted-li")

    @llm_completion_callback()
    def complete(self, prompt: str, formatted: bool = False, **kwargs) -> CompletionResponse:
        return CompletionResponse(text=self.reply)

    @llm_completion_callback()
    def stream_complete(self, prompt: str, formatted: bool = False, **kwargs):
        def pieces():
            for i in range(0, len(self.reply), 7):
                yield CompletionResponse(text=self.reply[: i + 7], delta=self.reply[i : i + 7])

        return pieces()


def test_retriever_nodes_are_our_paragraphs_with_exact_offsets(library):
    nodes = RagRetriever(library, top_k=3).retrieve(Q)
    assert len(nodes) == 3 and nodes[0].score >= nodes[1].score >= nodes[2].score
    for n in nodes:
        meta = n.node.metadata
        assert n.node.node_id == f"{meta['source']}#{meta['paragraph']}"
        stored = library.document_text(meta["source"])
        assert stored[n.node.start_char_idx : n.node.end_char_idx] == n.node.get_content()
        assert set(meta) == {"paragraph_id", "source", "paragraph", "page", "section"}
    assert any(FACT in n.node.get_content() for n in nodes)


def test_an_unknown_document_is_named_not_silently_searched(library):
    with pytest.raises(ValueError, match="'missing.txt' is not indexed"):
        RagRetriever(library, sources=["missing.txt"])
    with pytest.raises(ValueError, match="'missing.txt' is not indexed"):
        RagQueryEngine(library, sources=["missing.txt"])
    only = RagRetriever(library, sources=["001_08933ac444e6ce74.txt"]).retrieve(Q)
    assert only and {n.node.metadata["source"] for n in only} == {"001_08933ac444e6ce74.txt"}


def test_llama_index_query_engine_runs_over_our_retriever_without_global_settings(library):
    retriever = RagRetriever(library, top_k=4)
    engine = RetrieverQueryEngine.from_args(retriever, llm=MockLLM(max_tokens=16))
    response = engine.query(Q)
    assert [n.node.node_id for n in response.source_nodes] == [n.node.node_id for n in retriever.retrieve(Q)]
    assert LlamaIndexSettings._llm is None and LlamaIndexSettings._embed_model is None


def test_query_engine_response_is_our_checked_answer(library):
    response = RagQueryEngine(library).query(Q)
    answer = library.ask(Q)
    assert str(response) == answer.answer and "August 2023" in response.metadata["short_answer"]
    assert [n.node.node_id for n in response.source_nodes] == [f"{c.source}#{c.paragraph}" for c in answer.citations]
    assert response.metadata["citations"] == answer.to_dict()["citations"] and not response.metadata["abstained"]


def test_a_llama_index_llm_answers_and_what_the_passages_do_not_say_is_removed(library):
    reply = f"{FACT}. The Islamic State also moved its headquarters to Oslo in 2024."
    response = RagQueryEngine(library, llm=ScriptedLlamaIndexLLM(reply=reply)).query(Q)
    meta = response.metadata["meta"]
    assert meta["backend"] == "llama-index" and meta["model"] == "ScriptedLlamaIndexLLM:scripted-li"
    assert meta["llm_called"] is True
    assert "August 2023" in str(response) and "Oslo" not in str(response)
    assert response.source_nodes and all(n.node.metadata["source"] for n in response.source_nodes)


def test_a_llama_index_openai_like_llm_on_the_llama_cpp_server(library, llama_server):
    openai_like = pytest.importorskip("llama_index.llms.openai_like")
    llm = openai_like.OpenAILike(
        model="smollm2", api_base=llama_server, api_key="none", is_chat_model=True, max_tokens=200, temperature=0.0
    )
    response = RagQueryEngine(library, llm=llm).query(Q)
    meta = response.metadata["meta"]
    assert meta["backend"] == "llama-index" and meta["model"] == "OpenAILike:smollm2" and meta["llm_called"]
    answer = rag.Answer(Q, str(response), response.metadata["abstained"])
    answer.citations = [rag.Citation(**c) for c in response.metadata["citations"]]
    assert citation_problems(answer) == []
