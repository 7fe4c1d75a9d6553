"""rag: grounded, cited answers from analysts' reports, offline."""

from rag.answer.llm import LLM, LLMError
from rag.api import InvalidQuestion, Library, UnknownDocument, open
from rag.backends import BACKENDS, Backend
from rag.chat import ChatSession
from rag.index import Consistency, IndexBusy, IngestProgress
from rag.readers import SUPPORTED_SUFFIXES
from rag.settings import Settings
from rag.store import StoreUnavailable
from rag.types import (
    Answer,
    AnswerMeta,
    AnswerStream,
    Citation,
    ClaimCheck,
    IngestReport,
    Paragraph,
    ReaderScore,
    Verification,
)

__all__ = [
    "BACKENDS",
    "SUPPORTED_SUFFIXES",
    "Backend",
    "ChatSession",
    "Consistency",
    "IndexBusy",
    "LLM",
    "LLMError",
    "Answer",
    "AnswerMeta",
    "AnswerStream",
    "Citation",
    "ClaimCheck",
    "IngestProgress",
    "IngestReport",
    "InvalidQuestion",
    "UnknownDocument",
    "Library",
    "Paragraph",
    "ReaderScore",
    "Settings",
    "StoreUnavailable",
    "Verification",
    "open",
]
