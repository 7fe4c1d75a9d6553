"""The UI's event handlers over a real index (hash embedder), and how the server is exposed."""

import gc
import json

import pytest
import requests

import rag
from rag.ui.app import ChatApp, launch

from .conftest import free_port


@pytest.fixture
def ui(hash_settings, seeds_copy):
    lib = rag.Library(hash_settings.model_copy(update={"max_upload_mb": 1}))
    lib.ingest([seeds_copy])
    return ChatApp(lib)


def run(generator):
    *_, last = generator
    return last


def test_upload_sanitizes_names_limits_size_and_reports_each_file(ui, tmp_path):
    good = tmp_path / "..%2F..%2Fevil name!.md"
    good.write_text("# Notes\n\nOfficials in Qaryatayn counted 17 burned trucks.\n", encoding="utf-8")
    big = tmp_path / "big.txt"
    big.write_text("x" * (2 * 1024 * 1024), encoding="utf-8")
    binary = tmp_path / "scan.txt"
    binary.write_bytes(b"\x00\x01PNG\x00")
    result, rows, scope, _ = ui.add_reports([str(good), str(big), str(binary)])
    uploads = ui.settings.uploads_dir
    stored = sorted(p.name for p in uploads.iterdir())
    assert stored == ["_2F.._2Fevil name_.md"], "only the readable upload is kept, under a safe name"
    assert "larger than 1 MB" in result and "scan.txt</b>: failed" in result and "added" in result
    assert any(r[0] == "_2F.._2Fevil name_.md" for r in rows)
    assert "_2F.._2Fevil name_.md" in scope["choices"]
    assert all(p.resolve().parent == uploads.resolve() for p in uploads.iterdir())


def test_remove_deletes_uploads_but_never_the_analysts_files(ui, tmp_path, seeds_copy):
    report = tmp_path / "notes.md"
    report.write_text("Officials counted 17 burned trucks.\n", encoding="utf-8")
    ui.add_reports([str(report)])
    assert (ui.settings.uploads_dir / "notes.md").exists()
    ui.remove_document("notes.md")
    assert not (ui.settings.uploads_dir / "notes.md").exists()
    ui.remove_document("000_3e7f61a464eb352d.txt")
    assert (seeds_copy / "000_3e7f61a464eb352d.txt").exists()
    assert "000_3e7f61a464eb352d.txt" not in ui.source_choices()


def test_respond_streams_then_answers_within_the_chosen_documents(ui):
    steps = list(
        ui.respond("When did Abu Hafs take over the organization's leadership?", ["001_08933ac444e6ce74.txt"], [])
    )
    assert len(steps) >= 3, "the pending turn, streamed text, then the final answer"
    assert 'class="a pending"' in steps[0][0]
    conversation, sources, turns, _, box = steps[-1]
    assert box == "" and turns[-1].answer is not None
    assert all(c.source == "001_08933ac444e6ce74.txt" for c in turns[-1].answer.citations)
    assert "cite-chip" in conversation and "src-card" in sources
    # Gradio turns every update dict (gr.skip(), gr.update()) into a new component that the session keeps
    # for its whole life: 130 KB more server memory per question under load. Streamed steps send values.
    assert all(isinstance(step[0], str) and isinstance(step[1], str) for step in steps)


def test_empty_question_adds_no_turn(ui, monkeypatch):
    warnings = []
    monkeypatch.setattr("rag.ui.app.gr.Warning", lambda msg: warnings.append(msg))
    _, _, turns, _, _ = run(ui.respond("   ", None, []))
    assert turns == [] and warnings == ["Type a question first."]


def test_exports(ui):
    _, _, turns, _, _ = run(ui.respond("When did Abu Hafs take over the organization's leadership?", None, []))
    md = ui.export_markdown(turns).read_text(encoding="utf-8")
    assert md.startswith("# Conversation") and "[^1]:" in md
    data = json.loads(ui.export_json(turns).read_text(encoding="utf-8"))
    assert data[0]["question"].startswith("When did Abu Hafs") and "citations" in data[0]


def test_concurrent_exports_never_share_a_file_and_go_away_with_the_app(hash_settings, seeds_copy):
    lib = rag.Library(hash_settings)
    lib.ingest([seeds_copy])
    app = ChatApp(lib)
    _, _, mine, _, _ = run(app.respond("When did Abu Hafs take over the organization's leadership?", None, []))
    _, _, theirs, _, _ = run(app.respond("Which think tank is Aron Lund a fellow with?", None, []))
    my_file, their_file = app.export_markdown(mine), app.export_markdown(theirs)
    assert my_file != their_file and my_file.name == their_file.name == "conversation.md"
    assert "Abu Hafs" in my_file.read_text(encoding="utf-8"), "a later export must not overwrite an earlier one"
    exports = my_file.parent.parent
    del app
    gc.collect()
    assert not exports.exists(), "export files must not pile up in /tmp after the app is gone"


def test_server_binds_loopback_and_requires_login_when_asked(hash_settings):
    port = free_port()
    settings = hash_settings.model_copy(update={"port": port, "auth": "ana:secret"})
    assert settings.host == "127.0.0.1"
    app, url = launch(rag.Library(settings), prevent_thread_lock=True)
    try:
        assert url.startswith(f"http://127.0.0.1:{port}")
        assert requests.get(f"{url}config", timeout=10).status_code == 401
        assert (
            requests.post(f"{url}login", data={"username": "ana", "password": "wrong"}, timeout=10).status_code == 400
        )
        session = requests.Session()
        assert session.post(f"{url}login", data={"username": "ana", "password": "secret"}, timeout=10).ok
        assert session.get(f"{url}config", timeout=10).status_code == 200
    finally:
        app.close()


def test_malformed_auth_setting_is_refused(hash_settings):
    with pytest.raises(SystemExit, match="user:password"):
        launch(rag.Library(hash_settings.model_copy(update={"auth": "nopassword"})), prevent_thread_lock=True)


def test_follow_up_is_read_in_the_light_of_the_conversation(ui):
    _, _, turns, session, _ = run(
        ui.respond("On July 8, how many soldiers were killed near the Andarin region of east Hama?", None, [])
    )
    conversation, _, turns, session, _ = run(ui.respond("and on July 13?", None, turns, session))
    assert turns[-1].answer.meta.standalone_question.startswith("On July 13, how many soldiers")
    assert "read as “On July 13" in conversation
    assert len(session.turns) == 2


def test_an_unreachable_model_server_is_shown_as_an_error_turn(ui):
    port = free_port()
    ui.settings = ui.settings.model_copy(update={"llm_retries": 0, "llm_timeout": 5})
    conversation, _, turns, _, _ = run(
        ui.respond(
            "When did Abu Hafs take over the organization's leadership?",
            None,
            [],
            None,
            "openai-compatible",
            f"http://127.0.0.1:{port}/v1",
            "m",
        )
    )
    assert turns[-1].error and "cannot reach the LLM server" in turns[-1].error
    assert 'class="a error"' in conversation


def test_show_page_renders_the_cited_pdf_page_with_the_quote(ui, tmp_path):
    from tests.formats import render_pdf

    render_pdf(
        "Water report\n\nThe district council approved the new water treatment plant on 14 March after a long debate.\n",
        "water.pdf",
        tmp_path / "water.pdf",
    )
    ui.lib.ingest([tmp_path / "water.pdf"])
    *_, (conversation, sources, turns, _, _) = ui.respond(
        "When did the district council approve the water treatment plant?", ["water.pdf"], []
    )
    answer = turns[-1].answer
    assert not answer.abstained and answer.citations[0].page == 1
    assert 'class="page-btn" data-turn="0" data-marker="1"' in sources
    image, caption = ui.show_page("0:1:123", turns)
    assert image["visible"] is True and image["value"].size[0] > 500
    assert "page 1: quote highlighted" in caption
    # A request for no such citation, or a forged one, shows nothing.
    assert ui.show_page("0:9:1", turns)[0]["visible"] is False
    assert ui.show_page("garbage", turns)[0]["visible"] is False
    # A file changed since ingest shows no stale page; one that cannot be rendered says why.
    (tmp_path / "water.pdf").write_bytes(b"%PDF-1.4 garbage")
    image, caption = ui.show_page("0:1:124", turns)
    assert image["visible"] is False and "gone or has changed" in caption
