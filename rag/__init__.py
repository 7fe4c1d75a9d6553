"""rag: grounded, cited answers from analysts' reports, offline."""

from rag.api import IngestProgress, InvalidQuestion, Library, open
from rag.settings import Settings
from rag.types import Answer, Citation, IngestReport, Paragraph

__all__ = ["Answer", "Citation", "IngestProgress", "IngestReport", "InvalidQuestion", "Library", "Paragraph", "Settings", "open"]
