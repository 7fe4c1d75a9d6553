"""The analysts' chat UI (Gradio). Rendering is pure functions in render.py; app.py wires them up."""
