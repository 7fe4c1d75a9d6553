"""The answer JSON's keys, as ../shared/DESIGN.md section 2.4 fixes them: outside checks rely on exactly these."""

ANSWER_KEYS = {"question", "answer", "abstained", "short_answer", "short_span", "citations", "timings_ms", "meta"}
CITATION_KEYS = {"marker", "source", "paragraph", "start", "end", "text", "quote", "section", "page"}
