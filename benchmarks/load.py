"""Concurrent load: many clients asking at once, against the Python API (threads) or the running UI.

    .venv/bin/python -m benchmarks.load --clients 32 --seconds 60                  # Python API, in threads
    .venv/bin/python -m benchmarks.load --clients 32 --seconds 60 --ui http://127.0.0.1:7860/

Reports errors, latency p50/p95, throughput, and resident memory after the first 100 questions against
the end (growth must stay under 10% over at least 1,000 questions).
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import threading
import time
from pathlib import Path

import psutil


def _questions(eval_set: Path) -> list[str]:
    return [json.loads(line)["question"] for line in eval_set.read_text(encoding="utf-8").splitlines() if line.strip()]


def run(ask, clients: int, seconds: float, questions: list[str], min_questions: int, rss_of) -> dict:
    """``ask(question) -> None`` raises on failure; ``rss_of() -> bytes`` of the process under load."""
    latencies: list[float] = []
    errors: list[str] = []
    rss_marks: dict[str, float] = {}
    lock = threading.Lock()
    deadline = time.perf_counter() + seconds

    def client(n: int) -> None:
        rng = random.Random(n)
        while time.perf_counter() < deadline or len(latencies) < min_questions:
            question = rng.choice(questions)
            started = time.perf_counter()
            try:
                ask(question)
            except Exception as exc:  # every failure counts, whatever its kind
                with lock:
                    errors.append(f"{type(exc).__name__}: {exc}")
            with lock:
                latencies.append((time.perf_counter() - started) * 1000)
                if len(latencies) == 100:
                    rss_marks["after_100"] = rss_of()

    started = time.perf_counter()
    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    rss_end = rss_of()
    ordered = sorted(latencies)
    first = rss_marks.get("after_100", rss_end) or 1  # 0 when there is no server process to watch
    return {
        "clients": clients,
        "seconds": round(elapsed, 1),
        "questions": len(latencies),
        "errors": len(errors),
        "first_errors": errors[:3],
        "per_s": round(len(latencies) / elapsed, 1),
        "p50_ms": round(statistics.median(ordered), 1),
        "p95_ms": round(ordered[int(0.95 * (len(ordered) - 1))], 1),
        "rss_after_100_mb": round(first / 1e6, 1),
        "rss_end_mb": round(rss_end / 1e6, 1),
        "rss_growth": round(rss_end / first - 1, 4),
    }


def api_load(index: Path, clients: int, seconds: float, eval_set: Path, min_questions: int) -> dict:
    import rag

    lib = rag.open(index)
    lib.warm_up()
    me = psutil.Process()

    def ask(question: str) -> None:
        answer = lib.ask(question)
        if answer.error:
            raise RuntimeError(answer.error)

    return run(ask, clients, seconds, _questions(eval_set), min_questions, lambda: me.memory_info().rss)


def ui_load(url: str, clients: int, seconds: float, eval_set: Path, min_questions: int, server_pid: int | None) -> dict:
    from gradio_client import Client

    local = threading.local()
    server = psutil.Process(server_pid) if server_pid else None

    def ask(question: str) -> None:
        if not hasattr(local, "client"):  # one session per client thread, as browsers would have
            local.client = Client(url, verbose=False)
        conversation, _sources, _box = local.client.predict(question, [], "extractive", "", "", api_name="/ask")
        if 'class="a error"' in conversation or "turn" not in conversation:
            raise RuntimeError(f"bad reply: {conversation[:200]}")

    return run(
        ask, clients, seconds, _questions(eval_set), min_questions, lambda: server.memory_info().rss if server else 0
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--clients", type=int, default=32)
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--min-questions", type=int, default=1000)
    ap.add_argument("--index", type=Path, default=Path("index"))
    ap.add_argument("--set", type=Path, default=Path("evals/seed_qa.jsonl"))
    ap.add_argument("--ui", help="URL of a running UI to load instead of the Python API")
    ap.add_argument("--server-pid", type=int, help="PID of the UI server, to watch its memory")
    args = ap.parse_args()
    if args.ui:
        result = ui_load(args.ui, args.clients, args.seconds, args.set, args.min_questions, args.server_pid)
    else:
        result = api_load(args.index, args.clients, args.seconds, args.set, args.min_questions)
    print(json.dumps(result, indent=1))
    sys.exit(0 if result["errors"] == 0 and result["rss_growth"] < 0.10 else 1)


if __name__ == "__main__":
    main()
