"""The Gradio chat UI over the Python API: ask, read the cited sources, manage the library, export."""

from __future__ import annotations

import io
import json
import shutil
import tempfile
import threading
import time
import weakref
from pathlib import Path

import gradio as gr
from PIL import Image

import rag
from rag.ui.render import Turn, conversation_html, conversation_markdown, esc, sources_html
from rag.uploads import ingest_uploads, remove_document

# Streamed text is shown at most this often: each update re-sends the whole conversation, and a
# browser gains nothing from more than a few repaints a second.
STREAM_INTERVAL_S = 0.1

CSS = """
#conversation { min-height: 360px; }
.turn { margin: 0 0 14px 0; }
.turn .q { font-weight: 600; margin-bottom: 4px; }
.turn .a { padding: 10px 12px; border-radius: 8px; line-height: 1.5; white-space: pre-wrap; }
.turn .a.answer { background: #f3f6fb; border-left: 4px solid #3b6fd8; }
.turn .a.pending { background: #f7f7f7; color: #333; }
.turn .a.abstained { background: #fff8e6; border-left: 4px solid #d89b00; font-style: italic; }
.turn .a.error { background: #fdecec; border-left: 4px solid #c0392b; }
.abstain-label { display: block; font-style: normal; font-weight: 600; color: #8a6100; margin-bottom: 4px; }
.cite-chip { display: inline-block; min-width: 1.5em; margin: 0 2px; padding: 0 6px; border-radius: 10px;
  border: 1px solid #3b6fd8; background: #fff; color: #3b6fd8; font-size: 0.8em; cursor: pointer; }
.cite-chip:hover { background: #3b6fd8; color: #fff; }
.src-card { border: 1px solid #ddd; border-radius: 8px; padding: 10px; margin-bottom: 10px; }
.src-card.selected { border-color: #3b6fd8; box-shadow: 0 0 0 2px #3b6fd833; }
.src-head { font-weight: 600; }
.src-file { color: #666; font-size: 0.85em; margin: 2px 0 6px 0; }
.src-text { white-space: pre-wrap; margin: 0; }
.src-text mark { background: #ffe58a; padding: 0 1px; }
.src-text mark .short-span { background: #ffc933; }
.turn .a.short-answer { font-size: 1.15em; padding: 6px 12px 2px 12px; }
.src-question { color: #555; font-size: 0.9em; margin-bottom: 8px; }
.rag-empty, .src-empty { color: #777; }
.a-meta { color: #888; font-size: 0.78em; margin-top: 3px; }
.turn .a.answer { white-space: pre-line; }
details.claims { font-size: 0.85em; margin-top: 4px; }
details.claims li.removed s { color: #a33; }
details.claims .why { color: #888; font-size: 0.9em; }
.page-btn { margin-top: 6px; font-size: 0.85em; border: 1px solid #3b6fd8; border-radius: 6px; background: #fff;
  color: #3b6fd8; cursor: pointer; padding: 2px 8px; }
.page-btn:hover { background: #3b6fd8; color: #fff; }
#page-request { display: none; }
"""

# System fonts: the default theme would fetch web fonts, and this app makes no outside requests.
THEME = gr.themes.Default(
    font=["ui-sans-serif", "system-ui", "Segoe UI", "Roboto", "sans-serif"],
    font_mono=["ui-monospace", "SFMono-Regular", "Menlo", "monospace"],
)

# Chips live in server-rendered HTML: one delegated listener shows the clicked answer's sources and
# brings the cited paragraph into view, with no round trip to the server.
HEAD = """
<script>
document.addEventListener('click', function (ev) {
  const chip = ev.target.closest && ev.target.closest('.cite-chip');
  if (!chip) return;
  const turn = chip.dataset.turn, marker = chip.dataset.marker;
  document.querySelectorAll('.turn-sources').forEach(function (el) { el.hidden = el.dataset.turn !== turn; });
  document.querySelectorAll('.src-card.selected').forEach(function (el) { el.classList.remove('selected'); });
  const card = document.getElementById('src-' + turn + '-' + marker);
  if (card) { card.classList.add('selected'); card.scrollIntoView({behavior: 'smooth', block: 'nearest'}); }
});
// "Show page": the request goes to the server through a hidden textbox (turn:marker:nonce, so that the
// same page asked twice is still an input), and the rendered page comes back into #page-view.
document.addEventListener('click', function (ev) {
  const button = ev.target.closest && ev.target.closest('.page-btn');
  if (!button) return;
  const box = document.querySelector('#page-request textarea, #page-request input');
  if (!box) return;
  box.value = button.dataset.turn + ':' + button.dataset.marker + ':' + Date.now();
  box.dispatchEvent(new Event('input', {bubbles: true}));
  const view = document.getElementById('page-view');
  if (view) view.scrollIntoView({behavior: 'smooth', block: 'nearest'});
});
</script>
"""


class ChatApp:
    """Event handlers, kept apart from layout so they can be called directly in tests."""

    def __init__(self, lib: rag.Library):
        self.lib = lib
        self.settings = lib.settings
        self._exports: Path | None = None  # made on the first export: most app processes never export
        self._exports_lock = threading.Lock()
        self._llms: dict[tuple, rag.LLM] = {}
        self._llm_lock = threading.Lock()

    # -- backends ---------------------------------------------------------------------------------------

    def llm_for(self, backend: str, url: str | None, model: str | None) -> rag.LLM | None:
        """The model for a backend choice, made once and shared by every session (loading a GGUF is slow)."""
        if backend == "extractive":
            return None
        key = (backend, (url or "").strip(), (model or "").strip())
        with self._llm_lock:
            if key not in self._llms:
                self._llms[key] = self.lib.language_model(backend, key[1] or None, key[2] or None)
            return self._llms[key]

    # -- library ----------------------------------------------------------------------------------------

    def file_names(self) -> dict[str, str]:
        return {source: Path(e.path).name for source, e in self.lib.documents().items()}

    def library_rows(self) -> list[list]:
        return [
            [source, e.paragraphs, e.ingested_at.replace("T", " ").replace("+00:00", " UTC")]
            for source, e in sorted(self.lib.documents().items())
        ]

    def source_choices(self) -> list[str]:
        return sorted(self.lib.documents())

    def _library_updates(self):
        choices = self.source_choices()
        return self.library_rows(), gr.update(choices=choices), gr.update(choices=choices, value=None)

    def add_reports(self, files: list[str] | None, progress=gr.Progress()):
        if not files:
            return ("<div class='upload-result'>No files chosen.</div>", *self._library_updates())
        progress(0, desc="ingesting")

        def tick(p: rag.IngestProgress) -> None:
            progress((p.done, p.total), desc=p.result.source if p.result else "")

        uploaded = [(Path(f).name, Path(f).read_bytes()) for f in files]
        rows = [(r.name, r.status, r.note) for r in ingest_uploads(self.lib, uploaded, progress=tick)]
        items = "".join(
            f"<li class='upload-{esc(status)}'><b>{esc(name)}</b>: {esc(status)} ({esc(note)})</li>"
            for name, status, note in rows
        )
        return (f"<ul class='upload-result'>{items}</ul>", *self._library_updates())

    def remove_document(self, source: str | None):
        if not source:
            return ("<div>Choose a document to remove.</div>", *self._library_updates())
        removed = remove_document(self.lib, source)
        note = f"Removed {esc(source)}." if removed else f"{esc(source)} was not indexed."
        return (f"<div>{note}</div>", *self._library_updates())

    # -- chat -------------------------------------------------------------------------------------------

    def respond(
        self,
        question: str,
        scope: list[str] | None,
        turns: list[Turn],
        session: rag.ChatSession | None = None,
        backend: str = "extractive",
        llm_url: str | None = None,
        llm_model: str | None = None,
    ):
        """Generator: streams the answer into the conversation, then fills the sources panel.
        A follow-up ("and in Hama?") is read in the light of the conversation's earlier questions."""
        turns = list(turns or [])
        session = session if session is not None else rag.ChatSession()
        files = self.file_names()
        if not (question or "").strip():
            gr.Warning("Type a question first.")
            yield conversation_html(turns), sources_html(turns, files), turns, session, question
            return
        turn = Turn(question=question.strip())
        turns.append(turn)
        yield conversation_html(turns), sources_html(turns, files), turns, session, ""
        started = time.perf_counter()
        last_shown = 0.0
        try:
            llm = self.llm_for(backend, llm_url, llm_model)
            stream = self.lib.chat_stream(session, turn.question, sources=scope or None, llm=llm)
            for delta in stream:
                turn.partial += delta
                now = time.perf_counter()
                if now - last_shown >= STREAM_INTERVAL_S:
                    last_shown = now
                    # The sources panel is sent unchanged: gr.skip() would make Gradio build a new
                    # component per update and keep it for the session's life (memory grows per question).
                    yield conversation_html(turns), sources_html(turns, files), turns, session, ""
            turn.answer = stream.answer
            turn.answer.timings_ms["total"] = (time.perf_counter() - started) * 1000
        except (rag.InvalidQuestion, rag.LLMError) as exc:
            turn.error = str(exc)
        yield conversation_html(turns), sources_html(turns, files), turns, session, ""

    def show_page(self, request: str, turns: list[Turn]):
        """The cited PDF page for a "turn:marker:nonce" request from a Show page button: the image (quote
        highlighted) and a caption; nothing shown when the citation has no page or its file is gone."""
        try:
            turn, marker = (int(x) for x in (request or "").split(":")[:2])
            answer = (turns or [])[turn].answer
            citation = next(c for c in answer.citations if c.marker == marker)
        except (ValueError, IndexError, AttributeError, StopIteration):
            return gr.update(value=None, visible=False), ""
        try:
            image = self.lib.cited_page(citation)
        except Exception as exc:  # noqa: BLE001 - a damaged file must not break the chat; say why instead
            caption = f"{esc(citation.source)}: page {citation.page} could not be rendered ({esc(str(exc))})."
            return gr.update(value=None, visible=False), f"<div class='page-caption'>{caption}</div>"
        if image is None:
            caption = f"{esc(citation.source)}: the file is gone or has changed since it was ingested."
            return gr.update(value=None, visible=False), f"<div class='page-caption'>{caption}</div>"
        where = "quote highlighted" if image.boxes else "quote not found on the page (see the paragraph above)"
        caption = f"[{citation.marker}] {esc(citation.source)}, page {image.page}: {where}"
        return (
            gr.update(value=Image.open(io.BytesIO(image.png)), visible=True),
            f"<div class='page-caption'>{caption}</div>",
        )

    def _export_path(self, name: str) -> Path:
        # A folder per export: two analysts exporting at once must never download each other's conversation.
        with self._exports_lock:
            if self._exports is None:
                self._exports = Path(tempfile.mkdtemp(prefix="rag-export-"))
                weakref.finalize(self, shutil.rmtree, self._exports, ignore_errors=True)
        return Path(tempfile.mkdtemp(dir=self._exports)) / name

    def export_markdown(self, turns: list[Turn]) -> Path:
        path = self._export_path("conversation.md")
        path.write_text(conversation_markdown(turns or []), encoding="utf-8")
        return path

    def export_json(self, turns: list[Turn]) -> Path:
        path = self._export_path("conversation.json")
        data = [t.answer.to_dict() for t in turns or [] if t.answer is not None]
        path.write_text(json.dumps(data, indent=1, ensure_ascii=False), encoding="utf-8")
        return path


def build(lib: rag.Library) -> gr.Blocks:
    ui = ChatApp(lib)
    with gr.Blocks(title="rag: cited answers from your reports") as demo:
        turns = gr.State([])
        session = gr.State(None)
        gr.Markdown("### Ask the reports\nEvery answer cites the paragraph it comes from. Click a number to see it.")
        with gr.Row():
            with gr.Column(scale=3):
                conversation = gr.HTML(conversation_html([]), elem_id="conversation")
                with gr.Row():
                    question = gr.Textbox(
                        placeholder="Ask about the reports…", show_label=False, scale=5, elem_id="question"
                    )
                    ask = gr.Button("Ask", variant="primary", scale=1, elem_id="ask")
                scope = gr.CheckboxGroup(
                    ui.source_choices(), label="Only these documents (none ticked = all)", elem_id="scope"
                )
                with gr.Accordion("Answer with", open=False, elem_id="backend-panel"):
                    backend = gr.Dropdown(
                        [b.name for b in rag.BACKENDS],
                        value=lib.settings.llm,
                        label="Backend (extractive: verbatim sentences, no model; the others write, then every "
                        "citation is checked)",
                        elem_id="backend",
                    )
                    with gr.Row():
                        llm_url = gr.Textbox(
                            lib.settings.llm_url or "",
                            label="Server URL (openai-compatible)",
                            placeholder="http://127.0.0.1:11434/v1",
                            elem_id="llm-url",
                        )
                        llm_model = gr.Textbox(lib.settings.llm_model or "", label="Model", elem_id="llm-model")
                with gr.Row():
                    export_md = gr.Button("Export Markdown", elem_id="export-md")
                    export_json = gr.Button("Export JSON", elem_id="export-json")
                export_file = gr.File(label="Export", interactive=False, visible=False, elem_id="export-file")
            with gr.Column(scale=2):
                gr.Markdown("#### Sources")
                sources = gr.HTML(sources_html([]), elem_id="sources")
                page_request = gr.Textbox(elem_id="page-request", show_label=False, container=False)
                page_caption = gr.HTML(elem_id="page-caption")
                page_view = gr.Image(
                    type="pil", format="png", interactive=False, visible=False, show_label=False, elem_id="page-view"
                )
        with gr.Accordion("Library", open=False, elem_id="library-panel"):
            library = gr.Dataframe(
                ui.library_rows(),
                headers=["document", "paragraphs", "ingested"],
                interactive=False,
                elem_id="library",
            )
            upload = gr.File(
                file_count="multiple",
                file_types=list(rag.SUPPORTED_SUFFIXES),
                label="Add reports (txt, md, pdf, docx, html)",
                elem_id="upload",
            )
            upload_result = gr.HTML(elem_id="upload-result")
            with gr.Row():
                to_remove = gr.Dropdown(ui.source_choices(), label="Remove a document", elem_id="remove-choice")
                remove = gr.Button("Remove", elem_id="remove")

        chat_io = dict(
            inputs=[question, scope, turns, session, backend, llm_url, llm_model],
            outputs=[conversation, sources, turns, session, question],
        )
        question.submit(ui.respond, **chat_io, api_name="ask")
        ask.click(ui.respond, **chat_io, api_name=False)
        export_md.click(lambda t: gr.update(value=str(ui.export_markdown(t)), visible=True), [turns], [export_file])
        export_json.click(lambda t: gr.update(value=str(ui.export_json(t)), visible=True), [turns], [export_file])
        page_request.change(ui.show_page, [page_request, turns], [page_view, page_caption], api_name=False)
        upload.upload(ui.add_reports, inputs=[upload], outputs=[upload_result, library, scope, to_remove])
        remove.click(ui.remove_document, inputs=[to_remove], outputs=[upload_result, library, scope, to_remove])
    return demo


def launch(lib: rag.Library, prevent_thread_lock: bool = False) -> tuple[gr.Blocks, str]:
    """Serve the UI as the settings say; returns the app and its local URL (once it stops, or at once
    with ``prevent_thread_lock``)."""
    s = lib.settings
    auth = None
    if s.auth:
        user, _, password = s.auth.partition(":")
        if not user or not password:
            raise SystemExit("RAG_AUTH must look like user:password")
        auth = (user, password)
    lib.warm_up()  # load the model now, not on the first analyst's question
    demo = build(lib)
    demo.queue(default_concurrency_limit=8)
    _, url, _ = demo.launch(
        server_name=s.host,
        server_port=s.port,
        auth=auth,
        max_file_size=f"{s.max_upload_mb}mb",
        prevent_thread_lock=prevent_thread_lock,
        css=CSS,
        head=HEAD,
        theme=THEME,
        footer_links=[],
        show_error=True,
    )
    return demo, url
