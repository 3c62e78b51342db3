"""Parse latency of the NLU pipeline, in process, per message: p50 / p95 / p99 on the hold-out's texts.

Target on 2 cores: p50 <= 15 ms. Prints the figures and writes results/bench_parse.json.
"""
from __future__ import annotations

import asyncio
import json
import logging
import os
import statistics
import time
from pathlib import Path

from rasa.core.agent import Agent
from rasa.utils.log_utils import configure_structlog

from neurotriage.nlu.evaluate import DEFAULT_HOLDOUT, load_holdout

ROOT = Path(__file__).resolve().parent.parent
ROUNDS = 3


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


async def measure(agent, texts):
    for text in texts[:20]:  # warm-up: first calls build TensorFlow graphs
        await agent.parse_message(text)
    timings = []
    for _ in range(ROUNDS):
        for text in texts:
            started = time.perf_counter()
            await agent.parse_message(text)
            timings.append((time.perf_counter() - started) * 1000)
    return timings


def main():
    texts = [example["text"] for example in load_holdout(DEFAULT_HOLDOUT)]
    configure_structlog(logging.WARNING)  # per-message debug lines would skew the timings
    agent = Agent.load(os.environ["MODEL_PATH"])
    timings = asyncio.run(measure(agent, texts))
    figures = {"messages": len(timings), "p50_ms": round(percentile(timings, 0.50), 2),
               "p95_ms": round(percentile(timings, 0.95), 2), "p99_ms": round(percentile(timings, 0.99), 2),
               "mean_ms": round(statistics.mean(timings), 2), "target_p50_ms": 15, "cores": os.cpu_count()}
    (ROOT / "results").mkdir(exist_ok=True)
    (ROOT / "results" / "bench_parse.json").write_text(json.dumps(figures, indent=2))
    print(f"parse latency over {figures['messages']} messages: p50 {figures['p50_ms']} ms, p95 {figures['p95_ms']} ms, "
          f"p99 {figures['p99_ms']} ms (target p50 <= 15 ms)")
    print("written to results/bench_parse.json")


if __name__ == "__main__":
    main()
