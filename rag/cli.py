"""`rag` command line: a thin typer + rich layer over the Python API."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import rag  # noqa: E402  (after the offline switch)
from rag import evals  # noqa: E402
from rag.backends import BACKEND_NAMES  # noqa: E402

app = typer.Typer(
    help="Grounded, cited answers from your reports, offline.", no_args_is_help=True, add_completion=False
)
out = Console()
err = Console(stderr=True)

IndexOption = typer.Option(Path("index"), "--index", envvar="RAG_INDEX", help="Index folder.")
ChromaOption = typer.Option(None, "--chroma-url", envvar="RAG_CHROMA_URL", help="Use a Chroma server: http://HOST:PORT")
SourceOption = typer.Option(None, "--source", "-s", help="Only use this document (repeatable).")

STATUS_STYLE = {"added": "green", "updated": "cyan", "unchanged": "dim", "removed": "yellow", "failed": "bold red"}


LLMOption = typer.Option(None, "--llm", help="Answer backend: " + " | ".join(BACKEND_NAMES) + ".")
LLMUrlOption = typer.Option(None, "--llm-url", help="OpenAI-compatible base URL, e.g. http://127.0.0.1:8080/v1")
LLMModelOption = typer.Option(None, "--llm-model", help="Model name on that server.")
GGUFOption = typer.Option(None, "--gguf", help="GGUF file for llamacpp (default: the packaged SmolLM2).")


def _open(
    index: Path,
    chroma_url: str | None = None,
    llm: str | None = None,
    llm_url: str | None = None,
    llm_model: str | None = None,
    gguf: Path | None = None,
) -> rag.Library:
    overrides = {"chroma_url": chroma_url, "llm": llm, "llm_url": llm_url, "llm_model": llm_model, "gguf": gguf}
    overrides = {k: v for k, v in overrides.items() if v is not None}
    if llm_url and "llm" not in overrides:
        overrides["llm"] = "openai-compatible"
    try:
        return rag.Library(rag.Settings(index=index, **overrides))
    except (ValueError, rag.StoreUnavailable) as exc:
        err.print(f"[red]error:[/] {escape(str(exc))}")
        raise typer.Exit(2)


def _ingest(lib: rag.Library, paths: list[Path], quiet: bool = False, wait: bool = True) -> rag.IngestReport:
    with Progress(
        TextColumn("[bold]ingest"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=err,
        transient=True,
        disable=quiet,
    ) as bar:
        task = bar.add_task("", total=None)

        def progress(p: rag.IngestProgress) -> None:
            name = p.result.source if p.result else ""
            bar.update(task, total=p.total, completed=p.done, description=escape(name))

        def waiting() -> None:
            err.print(f"[yellow]another process is writing to {lib.settings.index}; waiting for it to finish…[/]")

        return lib.ingest(paths, progress=progress, wait=wait, on_wait=waiting)


def _print_report(report: rag.IngestReport) -> None:
    table = Table(title="Ingest report", show_lines=False)
    for col in ("file", "status", "paragraphs", "embedded", "note"):
        table.add_column(col)
    for f in report.files:
        style = STATUS_STYLE.get(f.status, "")
        table.add_row(
            escape(f.source),
            f"[{style}]{f.status}[/]",
            str(f.paragraphs),
            str(f.chunks_embedded),
            escape(f.reason or ""),
        )
    out.print(table)
    counts = ", ".join(f"{report.count(s)} {s}" for s in STATUS_STYLE if report.count(s))
    out.print(f"{counts or 'nothing to do'}; {report.chunks_embedded} chunks embedded in {report.seconds:.1f}s")


@app.command()
def ingest(
    paths: list[Path] = typer.Argument(..., help="Files or folders of reports."),
    index: Path = IndexOption,
    as_json: bool = typer.Option(False, "--json", help="Print the report as JSON."),
    chroma_url: Optional[str] = ChromaOption,
    wait: bool = typer.Option(True, "--wait/--no-wait", help="If another ingest is running: wait, or exit 4."),
) -> None:
    """Add, update or remove reports in the index; unchanged files cost nothing."""
    lib = _open(index, chroma_url)
    try:
        report = _ingest(lib, paths, quiet=as_json, wait=wait)
    except rag.IndexBusy as exc:
        err.print(f"[yellow]busy:[/] {escape(str(exc))}")
        raise typer.Exit(4)
    if as_json:
        print(json.dumps(report.to_dict(), ensure_ascii=False))
    else:
        _print_report(report)
    raise typer.Exit(0 if report.ok else 1)


def _print_answer(answer: rag.Answer) -> None:
    if answer.short_answer:
        out.print(f"[bold green]{escape(answer.short_answer)}[/]")
    style = "yellow" if answer.abstained else ("" if answer.short_answer else "bold")
    out.print(f"[{style}]{escape(answer.answer)}[/]" if style else escape(answer.answer))
    for c in answer.citations:
        where = f"{c.source}, {c.location}" + (f" ({c.section})" if c.section else "")
        out.print(f"  [cyan][{c.marker}][/] {escape(where)}: [italic]{escape(c.quote)}[/]")
    t = answer.timings_ms
    meta = answer.meta
    backend = meta.backend + (f" ({meta.model})" if meta.model else "")
    checks = meta.verification
    checked = f"; citations checked {checks.checked}, fixed {checks.fixed}, dropped {checks.dropped}" if checks else ""
    if checks and checks.fallback_reason:
        checked += f"; extractive answer used: {checks.fallback_reason}"
    if meta.answerer:
        checked += (
            f"; answer probability {meta.answerer.answer_probability:.2f}"
            f" (abstains below {meta.answerer.threshold:.2f})"
        )
    for claim in checks.claims if checks else []:
        if claim.verdict == "removed":
            p = "" if claim.probability is None else f", P(supported) {claim.probability:.2f}"
            out.print(f"  [red]removed[/] [strike]{escape(claim.text)}[/] [dim]({escape(claim.reason)}{p})[/]")
    out.print(
        f"[dim]{escape(backend)}{checked}; retrieve {t.get('retrieve', 0):.0f} ms, answer {t.get('answer', 0):.0f} ms[/]"
    )


@app.command()
def ask(
    question: str = typer.Argument(..., help="The question."),
    index: Path = IndexOption,
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object (the answer schema)."),
    source: Optional[list[str]] = SourceOption,
    llm: Optional[str] = LLMOption,
    llm_url: Optional[str] = LLMUrlOption,
    llm_model: Optional[str] = LLMModelOption,
    gguf: Optional[Path] = GGUFOption,
    chroma_url: Optional[str] = ChromaOption,
) -> None:
    """Answer one question from the indexed reports, with citations."""
    lib = _open(index, chroma_url, llm, llm_url, llm_model, gguf)
    try:
        answer = lib.ask(question, sources=source or None)
    except rag.InvalidQuestion as exc:
        err.print(f"[red]error:[/] {escape(str(exc))}")
        raise typer.Exit(2)
    except rag.LLMError as exc:
        err.print(f"[red]LLM error:[/] {escape(str(exc))}")
        raise typer.Exit(3)
    if as_json:
        print(json.dumps(answer.to_dict(), ensure_ascii=False))
    else:
        _print_answer(answer)


MAX_BATCH_LINE_BYTES = 64 * 1024


def _batch_line(lib: rag.Library, lineno: int, data: bytes, sources: list[str] | None) -> dict:
    if len(data) > MAX_BATCH_LINE_BYTES:
        return {"id": None, "error": f"line {lineno}: {len(data)} bytes is over the {MAX_BATCH_LINE_BYTES} byte limit"}
    try:
        line = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return {"id": None, "error": f"line {lineno}: not UTF-8 ({exc.reason} at byte {exc.start})"}
    if not line.strip():
        return {"id": None, "error": f"line {lineno}: empty line"}
    try:
        raw = json.loads(line)
    except ValueError as exc:
        return {"id": None, "error": f"line {lineno}: not JSON ({exc})"}
    if not isinstance(raw, dict):
        return {"id": None, "error": f"line {lineno}: expected an object with 'id' and 'question'"}
    qid = raw.get("id")
    question = raw.get("question")
    if not isinstance(question, str):
        return {"id": qid, "error": f"line {lineno}: field 'question' must be a string"}
    [answer] = lib.ask_many([question], sources)
    return {"id": qid, **answer.to_dict()}


@app.command()
def batch(
    infile: Path = typer.Argument(..., help='JSONL, one {"id": ..., "question": ...} per line.'),
    out_path: Path = typer.Option(..., "--out", help="Output JSONL, one line per input line, same order."),
    index: Path = IndexOption,
    source: Optional[list[str]] = SourceOption,
    llm: Optional[str] = LLMOption,
    llm_url: Optional[str] = LLMUrlOption,
    llm_model: Optional[str] = LLMModelOption,
    gguf: Optional[Path] = GGUFOption,
    chroma_url: Optional[str] = ChromaOption,
) -> None:
    """Answer a file of questions; a bad line gets an error line and the rest still run."""
    lib = _open(index, chroma_url, llm, llm_url, llm_model, gguf)
    try:
        with infile.open("rb") as fh:
            total = sum(1 for _ in fh)
    except OSError as exc:
        err.print(f"[red]error:[/] cannot read {infile}: {exc.strerror or exc}")
        raise typer.Exit(2)
    errors = 0
    # Line by line, so one bad line (not UTF-8, too long, not JSON) costs only its own answer.
    with (
        infile.open("rb") as src,
        out_path.open("w", encoding="utf-8") as fh,
        Progress(console=err, transient=True) as bar,
    ):
        task = bar.add_task("batch", total=total)
        for lineno, raw in enumerate(src, start=1):
            row = _batch_line(lib, lineno, raw, source or None)
            errors += "error" in row
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
            bar.advance(task)
    err.print(f"{total} lines, {errors} errors -> {out_path}")


def _print_eval(result: evals.EvalResult) -> None:
    table = Table(title=f"Eval: {result.name}")
    table.add_column("metric")
    table.add_column("value", justify="right")
    table.add_column("threshold", justify="right")
    bounds = {k[:-4] if k.endswith("_max") else k: (k, v) for k, v in result.thresholds.items()}
    for key, value in result.metrics.items():
        shown = "n/a" if value is None else (f"{value:.3f}" if isinstance(value, float) else str(value))
        bound = ""
        if key in bounds:
            name, v = bounds[key]
            bound = f"<= {v}" if name.endswith("_max") else f">= {v}"
        table.add_row(key, shown, bound)
    out.print(table)
    if result.failures:
        for f in result.failures:
            out.print(f"[red]FAIL[/] {escape(f)}")
    else:
        out.print("[green]all thresholds met[/]" if result.thresholds else "[dim]no thresholds for this set[/]")


@app.command("eval")
def eval_cmd(
    set_path: Path = typer.Option(Path("evals/seed_qa.jsonl"), "--set", help="Eval set: JSONL, or SQuAD-subset JSON."),
    corpus: Optional[Path] = typer.Option(None, "--corpus", help="Reports the JSONL set is about (default seeds/)."),
    index: Path = IndexOption,
    json_out: Optional[Path] = typer.Option(None, "--json", help="Also write the full result as JSON here."),
    thresholds: Path = typer.Option(Path("evals/thresholds.json"), "--thresholds", help="Thresholds per set."),
    llm: Optional[str] = LLMOption,
    llm_url: Optional[str] = LLMUrlOption,
    llm_model: Optional[str] = LLMModelOption,
    gguf: Optional[Path] = GGUFOption,
    chroma_url: Optional[str] = ChromaOption,
) -> None:
    """Run an eval set (ingesting its corpus first); exit 1 below the stored thresholds."""
    try:
        items, corpus_dir = evals.load_set(set_path, corpus, index)
    except (OSError, evals.EvalSetError, ValueError, KeyError) as exc:
        err.print(f"[red]error:[/] cannot load eval set {set_path}: {escape(str(exc))}")
        raise typer.Exit(2)
    lib = _open(index, chroma_url, llm, llm_url, llm_model, gguf)
    report = _ingest(lib, [corpus_dir])
    if not report.ok:
        _print_report(report)
    name = evals.set_name(set_path)
    with Progress(console=err, transient=True) as bar:
        task = bar.add_task("eval", total=len(items))
        result = evals.evaluate(
            lib, items, name, evals.load_thresholds(thresholds, name), on_item=lambda _: bar.advance(task)
        )
    _print_eval(result)
    if json_out:
        json_out.parent.mkdir(parents=True, exist_ok=True)
        json_out.write_text(json.dumps(result.to_dict(), indent=1, ensure_ascii=False), encoding="utf-8")
    raise typer.Exit(0 if result.passed else 1)


@app.command("eval-claims")
def eval_claims_cmd(
    set_path: Path = typer.Option(
        Path("../shared/benchmarks/halueval-qa/data.jsonl"),
        "--set",
        help="Labelled answers: JSONL items (question, passages, answer, label), or a HaluEval QA file.",
    ),
    split: str = typer.Option("held_out", "--split", help="For a HaluEval file: train, validation or held_out."),
    limit: Optional[int] = typer.Option(None, "--limit", help="Only the first N items."),
    index: Path = typer.Option(Path("build/claims-index"), "--index", help="Index folder for the items' passages."),
    json_out: Optional[Path] = typer.Option(None, "--json", help="Also write every item's outcome as JSON here."),
) -> None:
    """Check labelled LLM answers as the product checks a model's reply: hallucinated answers flagged, supported
    ones intact, per dataset, and the time per answer."""
    from rag import claim_eval

    try:
        items = claim_eval.load_items(set_path, split)[:limit]
    except (OSError, claim_eval.ClaimSetError) as exc:
        err.print(f"[red]error:[/] cannot load {set_path}: {escape(str(exc))}")
        raise typer.Exit(2)
    lib = _open(index, None)
    with Progress(console=err, transient=True) as bar:
        task = bar.add_task("eval-claims", total=len(items))
        summary, outcomes = claim_eval.evaluate(lib, items, index / "items", on_item=lambda _: bar.advance(task))
    table = Table("dataset", "hallucinated", "flagged", "supported", "intact", "claims kept", "p50 ms", "p95 ms")
    for name, m in summary.items():
        table.add_row(
            name,
            str(m["hallucinated"]),
            f"{m['hallucinated_flagged']}",
            str(m["supported"]),
            f"{m['supported_intact']}",
            f"{m['supported_claims_kept']}",
            f"{m['ms_p50']}",
            f"{m['ms_p95']}",
        )
    out.print(table)
    if json_out:
        json_out.parent.mkdir(parents=True, exist_ok=True)
        json_out.write_text(json.dumps(claim_eval.to_json(summary, outcomes), indent=1, ensure_ascii=False))


@app.command()
def verify(index: Path = IndexOption, chroma_url: Optional[str] = ChromaOption) -> None:
    """Check that the store holds exactly what the manifest lists; exit 1 if not (the next ingest repairs)."""
    result = _open(index, chroma_url).verify()
    table = Table(title="Index consistency")
    table.add_column("check")
    table.add_column("value", justify="right")
    for name, value in [
        ("documents", result.documents),
        ("chunks listed by the manifest", result.chunks),
        ("chunks in the store", result.stored),
        ("orphan chunks", result.orphans),
        ("documents with missing chunks", len(result.incomplete)),
        ("documents with missing text", len(result.missing_texts)),
    ]:
        table.add_row(name, str(value))
    out.print(table)
    for source in result.incomplete + result.missing_texts:
        out.print(f"[red]incomplete:[/] {escape(source)}")
    out.print("[green]consistent[/]" if result.ok else "[red]inconsistent[/]: run `rag ingest` or `rag rebuild`")
    raise typer.Exit(0 if result.ok else 1)


@app.command()
def rebuild(index: Path = IndexOption, chroma_url: Optional[str] = ChromaOption) -> None:
    """Re-derive the whole index from the source files it lists (everything is embedded again)."""
    lib = _open(index, chroma_url)
    report = lib.rebuild()
    _print_report(report)
    raise typer.Exit(0 if report.ok else 1)


@app.command()
def serve(
    host: str = typer.Option("127.0.0.1", "--host", help="Interface to bind (beyond loopback needs RAG_API_KEY)."),
    port: int = typer.Option(8000, "--port"),
    index: Path = IndexOption,
    ui: bool = typer.Option(False, "--ui", help="Also serve the chat UI at /."),
    chroma_url: Optional[str] = ChromaOption,
    llm: Optional[str] = LLMOption,
    llm_url: Optional[str] = LLMUrlOption,
    llm_model: Optional[str] = LLMModelOption,
    gguf: Optional[Path] = GGUFOption,
) -> None:
    """HTTP API: /v1/ask, /v1/batch, /v1/ingest, /v1/documents, OpenAI-compatible /v1/chat/completions (docs at /docs)."""
    from rag.server import serve as run_server

    lib = _open(index, chroma_url, llm, llm_url, llm_model, gguf)
    run_server(lib, host, port, lib.settings.api_key, with_ui=ui)


@app.command()
def mcp(
    index: Path = IndexOption,
    http: bool = typer.Option(False, "--http", help="Streamable HTTP at http://HOST:PORT/mcp instead of stdio."),
    host: str = typer.Option("127.0.0.1", "--host"),
    port: int = typer.Option(8001, "--port"),
    chroma_url: Optional[str] = ChromaOption,
    llm: Optional[str] = LLMOption,
    llm_url: Optional[str] = LLMUrlOption,
    llm_model: Optional[str] = LLMModelOption,
    gguf: Optional[Path] = GGUFOption,
) -> None:
    """MCP server for agents (tools: ask, search, list_documents, get_paragraph); stdio unless --http."""
    try:
        from rag.mcp_server import serve as run_mcp
    except ImportError as exc:
        err.print(f"[red]error:[/] the MCP server needs the mcp extra: pip install -e '.[mcp]' ({escape(str(exc))})")
        raise typer.Exit(2)
    lib = _open(index, chroma_url, llm, llm_url, llm_model, gguf)
    run_mcp(lib, "streamable-http" if http else "stdio", host, port)


@app.command("bench")
def bench_cmd(
    paragraphs: int = typer.Option(1000, "--paragraphs", help="Distractor paragraphs around the five seeds."),
    baseline: bool = typer.Option(False, "--baseline", help="Also measure a plain llama-index pipeline."),
    embed_only: bool = typer.Option(
        True, "--embed-only/--no-embed-only", help="Measure the model's own encode throughput first (doubles the time)."
    ),
    json_out: Optional[Path] = typer.Option(None, "--json", help="Write the numbers here."),
    work: Path = typer.Option(Path("build/bench"), "--work", help="Folder for generated corpora and indexes."),
    seeds: Path = typer.Option(Path("seeds"), "--seeds"),
    eval_set: Path = typer.Option(Path("evals/seed_qa.jsonl"), "--set"),
    squad: Path = typer.Option(
        Path("../shared/benchmarks/squad2-dev-subset/data.json"), "--squad", help="Extra sentences for distractors."
    ),
) -> None:
    """Measure ingest and query cost, and recall, at a corpus size (benchmarks/bench.py, from a checkout)."""
    import sys

    checkout = Path(__file__).resolve().parents[1]
    if not (checkout / "benchmarks" / "bench.py").exists():
        err.print("[red]error:[/] rag bench runs from a source checkout (it needs benchmarks/bench.py)")
        raise typer.Exit(2)
    sys.path.insert(0, str(checkout))
    from benchmarks import bench

    result = bench.bench(paragraphs, work, seeds, eval_set, squad if squad.exists() else None, baseline, embed_only)
    table = Table(title=f"rag bench: {paragraphs} distractors")
    table.add_column("metric")
    table.add_column("ours", justify="right")
    if baseline:
        table.add_column("llama-index", justify="right")
    for key, value in result.items():
        if key == "baseline":
            continue
        row = [key, str(value)]
        if baseline:
            row.append(str(result["baseline"].get(key, "")))
        table.add_row(*row)
    out.print(table)
    if json_out:
        json_out.parent.mkdir(parents=True, exist_ok=True)
        json_out.write_text(json.dumps(result, indent=1), encoding="utf-8")


def main() -> None:  # console-script entry point
    app()


if __name__ == "__main__":
    main()
