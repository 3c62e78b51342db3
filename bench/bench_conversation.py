"""Per-message latency through REST, with the action server and the databases, over whole triage conversations.

Targets on 2 cores: p50 <= 60 ms, p95 <= 150 ms. Prints the figures and writes results/bench_conversation.json.
"""
from __future__ import annotations

import json
import os
import statistics
import time
import urllib.request
import uuid

from servers import ROOT, resident_mb, running_servers

RASA_PORT, ACTION_PORT = 5405, 5455
CONVERSATIONS = 5
# The screening (5 items left after the description), the two diabetic-foot warning questions, then the history.
SCRIPT = ["hello", "yes i agree", "my feet burn and tingle at night, im diabetic and on lyrica", "no", "yes", "no",
          "not sure", "no", "no", "no", "about 2 years", "7", "yes", "none", "just paracetamol", "physio", "i'm 58",
          "no", "no", "what are the side effects of pregabalin", "book an appointment please", "thanks, bye"]


def say(sender: str, message: str) -> tuple[float, list]:
    body = json.dumps({"sender": sender, "message": message}).encode()
    request = urllib.request.Request(f"http://127.0.0.1:{RASA_PORT}/webhooks/rest/webhook", data=body,
                                     headers={"Content-Type": "application/json"})
    started = time.perf_counter()
    with urllib.request.urlopen(request, timeout=60) as response:
        replies = json.loads(response.read())
    return (time.perf_counter() - started) * 1000, replies


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def main():
    with running_servers(os.environ["MODEL_PATH"], RASA_PORT, ACTION_PORT, "bench-conversation") as (rasa, actions, _, _):
        say("warm-up", "hello")
        timings, summaries = [], 0
        for _ in range(CONVERSATIONS):
            sender = "bench-" + uuid.uuid4().hex[:8]
            for message in SCRIPT:
                elapsed, replies = say(sender, message)
                timings.append(elapsed)
                summaries += any("triage_summary" in (r.get("custom") or {}) for r in replies)
        figures = {"conversations": CONVERSATIONS, "messages": len(timings), "summaries": summaries,
                   "p50_ms": round(percentile(timings, 0.5), 1), "p95_ms": round(percentile(timings, 0.95), 1),
                   "p99_ms": round(percentile(timings, 0.99), 1), "mean_ms": round(statistics.mean(timings), 1),
                   "rasa_server_rss_mb": resident_mb(rasa.pid), "action_server_rss_mb": resident_mb(actions.pid),
                   "targets": "p50 <= 60 ms, p95 <= 150 ms", "cores": os.cpu_count()}
    (ROOT / "results").mkdir(exist_ok=True)
    (ROOT / "results" / "bench_conversation.json").write_text(json.dumps(figures, indent=2))
    for key, value in figures.items():
        print(f"{key:<22} {value}")
    print("written to results/bench_conversation.json")


if __name__ == "__main__":
    main()
