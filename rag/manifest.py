"""Which files the index holds, by content hash: the basis of incremental ingest.

Pure logic and one JSON file; knows nothing of Chroma or embeddings.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Literal

MANIFEST_VERSION = 1


@dataclass
class DocEntry:
    path: str  # absolute path the document was last ingested from
    sha256: str
    paragraphs: int
    chunk_ids: list[str]
    ingested_at: str


@dataclass
class Manifest:
    fingerprint: str
    documents: dict[str, DocEntry] = field(default_factory=dict)  # by source name

    @classmethod
    def load(cls, path: Path, fingerprint: str) -> "Manifest":
        if not path.exists():
            return cls(fingerprint)
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ValueError(f"index manifest {path} is unreadable: {exc}") from exc
        if raw.get("fingerprint") != fingerprint:
            raise ValueError(f"index manifest {path} belongs to another index ({raw.get('fingerprint')})")
        docs = {name: DocEntry(**entry) for name, entry in raw.get("documents", {}).items()}
        return cls(fingerprint, docs)

    def save(self, path: Path) -> None:
        """Atomic replace: a reader or a crash sees the old manifest or the new one, never half of one."""
        payload = {
            "version": MANIFEST_VERSION,
            "fingerprint": self.fingerprint,
            "documents": {name: asdict(e) for name, e in sorted(self.documents.items())},
        }
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(payload, fh, indent=1, ensure_ascii=False)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def source_with_hash(self, sha256: str) -> str | None:
        for name, entry in self.documents.items():
            if entry.sha256 == sha256:
                return name
        return None


@dataclass(frozen=True)
class Candidate:
    """A file found on disk, with the name it is indexed under."""

    path: Path  # absolute
    source: str
    root: Path | None  # the folder it was found in, None for a file named directly


def discover(paths: list[Path]) -> tuple[list[Candidate], list[tuple[Path, str]], list[Path]]:
    """Files to consider, paths that could not be used (with reasons), and the folders scanned."""
    candidates: list[Candidate] = []
    problems: list[tuple[Path, str]] = []
    roots: list[Path] = []
    for given in paths:
        if not given.exists():
            problems.append((given, "no such file or folder"))
            continue
        if given.is_dir():
            root = given.resolve()
            roots.append(root)
            for dirpath, dirnames, filenames in os.walk(root):
                dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
                for name in sorted(filenames):
                    if name.startswith("."):
                        continue
                    path = Path(dirpath) / name
                    candidates.append(Candidate(path, path.relative_to(root).as_posix(), root))
        else:
            path = given.resolve()
            candidates.append(Candidate(path, path.name, None))
    # The same file reached twice (a folder and a file in it): keep the first.
    seen: set[Path] = set()
    unique = []
    for c in candidates:
        if c.path not in seen:
            seen.add(c.path)
            unique.append(c)
    return unique, problems, roots


Decision = Literal["add", "update", "unchanged", "clash", "duplicate"]


def decide(manifest: Manifest, candidate: Candidate, sha256: str) -> tuple[Decision, str | None]:
    """What to do with one readable file, and why (for the report)."""
    entry = manifest.documents.get(candidate.source)
    if entry is not None:
        old_path = Path(entry.path)
        if old_path != candidate.path and old_path.exists():
            return "clash", f"another file named '{candidate.source}' is already indexed from {old_path}"
        return ("unchanged", None) if entry.sha256 == sha256 else ("update", None)
    twin = manifest.source_with_hash(sha256)
    if twin is not None and Path(manifest.documents[twin].path).exists():
        return "duplicate", f"same content as '{twin}', which is already indexed"
    return "add", None


def removed_sources(manifest: Manifest, roots: list[Path], present: set[Path]) -> list[str]:
    """Indexed documents that lived under a scanned folder and are gone from it."""
    gone = []
    for name, entry in manifest.documents.items():
        path = Path(entry.path)
        if path in present:
            continue
        if any(path.is_relative_to(root) for root in roots) and not path.exists():
            gone.append(name)
    return sorted(gone)
