"""Reports uploaded through the UI or the HTTP API: stored under the index's uploads folder with safe names,
ingested, and removed again when unreadable or when their document is removed."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

from rag.api import Library
from rag.index import IngestProgress

_UNSAFE = re.compile(r"[^\w. -]+")  # letters of any script, digits, _ . space -


def safe_file_name(name: str, max_len: int = 120) -> str:
    """A file name that stays inside the folder it is written to: no path, no leading dot, plain characters."""
    base = re.split(r"[\\/]", name)[-1]
    base = _UNSAFE.sub("_", base).strip(" .")
    stem, dot, suffix = base.rpartition(".")
    if not dot:
        stem, suffix = base, ""
    stem = stem[: max_len - len(suffix) - 1] or "upload"
    return f"{stem}.{suffix}" if suffix else stem


@dataclass
class UploadResult:
    name: str
    status: str  # an ingest status ("added", "unchanged", "updated", "failed")
    note: str

    def to_dict(self) -> dict:
        return {"name": self.name, "status": self.status, "note": self.note}


def ingest_uploads(
    lib: Library, files: Sequence[tuple[str, bytes]], progress: Callable[[IngestProgress], None] | None = None
) -> list[UploadResult]:
    """Store each (file name, content) and ingest them; one result per file, too-large ones refused by name."""
    uploads = lib.settings.uploads_dir
    uploads.mkdir(parents=True, exist_ok=True)
    limit_mb = lib.settings.max_upload_mb
    results, stored = [], []
    for name, data in files:
        name = safe_file_name(name)
        if len(data) > limit_mb * 1024 * 1024:
            results.append(UploadResult(name, "failed", f"larger than {limit_mb} MB"))
            continue
        target = uploads / name
        digest = hashlib.sha256(data).hexdigest()
        if target.exists() and hashlib.sha256(target.read_bytes()).hexdigest() != digest:
            target = uploads / f"{target.stem}-{digest[:8]}{target.suffix}"  # never overwrite another upload
        target.write_bytes(data)
        stored.append(target)
    if stored:
        report = lib.ingest(stored, progress=progress)
        for r in report.files:
            if r.status == "failed" and Path(r.path).parent == uploads.resolve():
                Path(r.path).unlink(missing_ok=True)  # keep no unreadable uploads around
            results.append(UploadResult(r.source, r.status, r.reason or f"{r.paragraphs} paragraphs"))
    return results


def remove_document(lib: Library, source: str) -> bool:
    """Remove a document from the index; its file too when it was an upload (other files are not ours)."""
    entry = lib.documents().get(source)
    removed = lib.remove(source)
    if removed and entry and Path(entry.path).parent == lib.settings.uploads_dir.resolve():
        Path(entry.path).unlink(missing_ok=True)
    return removed
