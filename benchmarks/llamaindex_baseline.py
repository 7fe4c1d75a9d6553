"""The comparison pipeline for `rag bench --baseline`: llama-index as its documentation sets it up.

SimpleDirectoryReader documents, the default SentenceSplitter, a VectorStoreIndex over a ChromaVectorStore,
the same packaged embedding model, a top-k retriever. Its global Settings are never touched (everything is passed explicitly).
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from rag.embeddings import packaged_model_path


def chunk_texts(corpus: Path) -> list[str]:
    """The texts `build` embeds, split again the same way (for the bench's token accounting)."""
    from llama_index.core import SimpleDirectoryReader
    from llama_index.core.node_parser import SentenceSplitter

    documents = SimpleDirectoryReader(str(corpus), required_exts=[".txt"]).load_data()
    return [n.get_content() for n in SentenceSplitter().get_nodes_from_documents(documents)]


def build(corpus: Path, index_dir: Path):
    from llama_index.core import SimpleDirectoryReader, StorageContext, VectorStoreIndex
    from llama_index.core.node_parser import SentenceSplitter
    from llama_index.embeddings.huggingface import HuggingFaceEmbedding
    from llama_index.vector_stores.chroma import ChromaVectorStore

    documents = SimpleDirectoryReader(str(corpus), required_exts=[".txt"]).load_data()
    embed_model = HuggingFaceEmbedding(model_name=str(packaged_model_path()), device="cpu")
    import chromadb

    # As llama-index's Chroma guide sets it up: its own persistent client, not the product's store.
    client = chromadb.PersistentClient(path=str(index_dir), settings=chromadb.Settings(anonymized_telemetry=False))
    collection = client.get_or_create_collection("baseline", configuration={"hnsw": {"space": "cosine"}})
    store = ChromaVectorStore(chroma_collection=collection)
    return VectorStoreIndex.from_documents(
        documents,
        storage_context=StorageContext.from_defaults(vector_store=store),
        embed_model=embed_model,
        transformations=[SentenceSplitter()],
    )


def retriever(index, top_k: int) -> Callable[[str], list[tuple[str, str]]]:
    """question -> [(chunk text, source file name)], best first."""
    r = index.as_retriever(similarity_top_k=top_k)

    def retrieve(question: str) -> list[tuple[str, str]]:
        return [(n.node.get_content(), Path(n.node.metadata.get("file_path", "")).name) for n in r.retrieve(question)]

    return retrieve
