"""Load: concurrent simulated patients, each running the whole triage conversation, against the production shape.

    python bench/bench_load.py [--levels 1,20,50] [--paced-levels 20,50] [--one-instance-paced-levels 20]

Three targets are measured in the same run:
  one_instance   one Rasa instance of the production shape, directly (with the action server, PostgreSQL, Redis)
  two_instances  both Rasa instances through nginx: the full assistant as a clinic runs it
  moodbot        `rasa init`'s moodbot (bench/moodbot.py) on its own port: a baseline of Rasa alone
Two paces:
  capacity       at level N, N patients talk at once and each sends its next message as soon as the answer is there:
                 the servers are saturated, so this measures throughput (levels 1, 20, 50; level 1 runs three
                 conversations one after the other). All three targets.
  patient_pace   N patients talk at once, each pausing 1.5-3 s before every message (reading, typing), which is still
                 faster than most people: the latency patients see at that load (levels 20 and 50 with two instances,
                 20 with one; not the moodbot, whose conversation is too short to compare). About 9 minutes in all.
Pauses, pain scores, durations and ages are drawn from random generators with fixed seeds.

Each triage patient gives its own pain score, duration and age, and after the conversation the benchmark checks that
nothing of another patient reached it ("cross-talk"): the tracker holds exactly the messages this patient sent, its
pain score and duration, and the triage summary it received names this conversation and this patient's answers.
A turn that does not answer 200 with at least one reply is an error.

Figures per target, pace and level: p50/p95/p99 latency of a message, throughput (messages per second), errors,
cross-talk, the CPU time the target's processes spent per message, and the peak resident memory of each process.
Printed as a table and written to results/bench_load.json. Targets on 2 cores: 0 errors and 0 cross-talk at 50
concurrent conversations, p95 <= 300 ms at 20, and the full assistant's throughput at least the moodbot's. They are
reported, not enforced: the exit status is non-zero only when the benchmark itself fails. Other work on the machine
changes the figures: the load average before the run is recorded with them.

The production shape is used when it runs (scripts/production.sh start); otherwise this starts it, and stops it after.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import statistics
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Dict, List, Optional, Tuple

import aiohttp

from bench_conversation import SCRIPT
from servers import ROOT, resident_mb
import moodbot

SEED = 20240917
LEVELS = (1, 20, 50)
PACED_LEVELS = (20, 50)
ONE_INSTANCE_PACED_LEVELS = (20,)  # with one instance, 50 patients at patient pace is the capacity pass again, slower
LEVEL_ONE_CONVERSATIONS = 3
MOODBOT_PORT = int(os.environ.get("BENCH_MOODBOT_PORT", "5805"))
REQUEST_TIMEOUT_S = 60
PRODUCTION = ROOT / "scripts" / "production.sh"
TARGETS_TEXT = ("0 errors and 0 cross-talk at 50 concurrent conversations; p95 <= 300 ms at 20 concurrent; "
                "throughput of the full assistant (two_instances) >= the moodbot's at the same concurrency")
_OUT_OF_TEN = re.compile(r"\((\d+) out of 10\)")


# --- patients ------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Pace:
    """How long a patient pauses before each message (the first pause staggers the start), drawn uniformly."""
    name: str
    pause_s: Tuple[float, float]


CAPACITY = Pace("capacity", (0.0, 0.0))  # the next message as soon as the answer is there: what the servers can do
PATIENT_PACE = Pace("patient_pace", (1.5, 3.0))  # a quick typist: 1.5-3 s to read an answer and type the next one


@dataclass
class Plan:
    """What one simulated patient will say and when, and what its tracker and replies must show afterwards."""
    messages: List[str]
    pauses: List[float]
    pain_score: Optional[int] = None
    duration: Optional[str] = None
    age: Optional[int] = None


def _pauses(rng: random.Random, pace: Pace, count: int) -> List[float]:
    return [rng.uniform(*pace.pause_s) for _ in range(count)]


def triage_plan(rng: random.Random, pace: Pace) -> Plan:
    """The conversation of bench/bench_conversation.py with this patient's own pain score, duration and age
    (values that keep the same path through the conversation)."""
    score, years, age = rng.randint(3, 10), rng.randint(1, 9), rng.randint(25, 60)
    duration = f"about {years} year{'s' if years > 1 else ''}"
    own = {"7": str(score), "about 2 years": duration, "i'm 58": f"i'm {age}"}
    return Plan([own.get(message, message) for message in SCRIPT], _pauses(rng, pace, len(SCRIPT)),
                pain_score=score, duration=duration, age=age)


def moodbot_plan(rng: random.Random, pace: Pace) -> Plan:
    return Plan(list(moodbot.MOODBOT_SCRIPT), _pauses(rng, pace, len(moodbot.MOODBOT_SCRIPT)))


@dataclass
class Target:
    name: str
    url: str
    plan: Callable[[random.Random, Pace], Plan]
    processes: Callable[[], Dict[str, int]]  # name -> pid, read when measured (an instance may have restarted)
    triage: bool = True


@dataclass
class Outcome:
    latencies_ms: List[float] = field(default_factory=list)
    errors: int = 0
    error_samples: List[str] = field(default_factory=list)
    cross_talk: int = 0
    cross_talk_samples: List[str] = field(default_factory=list)
    completed: int = 0
    checked: int = 0


async def converse(session: aiohttp.ClientSession, target: Target, sender: str, plan: Plan, token: str,
                   outcome: Outcome) -> None:
    replies: List[dict] = []
    for message, pause in zip(plan.messages, plan.pauses):
        if pause:
            await asyncio.sleep(pause)
        started = time.perf_counter()
        problem = None
        try:
            async with session.post(f"{target.url}/webhooks/rest/webhook",
                                    json={"sender": sender, "message": message}) as response:
                body = await response.text()
                if response.status != 200:
                    problem = f"HTTP {response.status}"
                else:
                    answer = json.loads(body)
                    if not isinstance(answer, list) or not answer:
                        problem = "no reply"
                    else:
                        replies.extend(answer)
        except (aiohttp.ClientError, asyncio.TimeoutError, json.JSONDecodeError) as error:
            problem = f"{type(error).__name__}: {error}"
        elapsed = (time.perf_counter() - started) * 1000
        if problem:
            outcome.errors += 1
            if len(outcome.error_samples) < 5:
                outcome.error_samples.append(f"{sender} {message!r}: {problem}")
            return  # the rest of this conversation would not follow its script
        outcome.latencies_ms.append(elapsed)
    await check_conversation(session, target, sender, plan, token, replies, outcome)


async def check_conversation(session: aiohttp.ClientSession, target: Target, sender: str, plan: Plan, token: str,
                             replies: List[dict], outcome: Outcome) -> None:
    """Everything in this patient's tracker and replies must be this patient's own."""
    problems = []
    try:
        async with session.get(f"{target.url}/conversations/{sender}/tracker", params={"token": token}) as response:
            tracker = await response.json(content_type=None) if response.status == 200 else None
    except (aiohttp.ClientError, asyncio.TimeoutError) as error:
        tracker, problems = None, [f"tracker unreadable: {type(error).__name__}"]
    if tracker is None:
        outcome.errors += 1
        outcome.error_samples.append(f"{sender}: tracker unreadable")
        return
    outcome.checked += 1
    said = [event.get("text") for event in tracker["events"] if event.get("event") == "user"]
    if said != plan.messages:
        problems.append(f"tracker holds {len(said)} user messages, not the {len(plan.messages)} sent")
    summaries = [reply["custom"]["triage_summary"] for reply in replies
                 if "triage_summary" in (reply.get("custom") or {})]
    if target.triage:
        slots = tracker["slots"]
        if slots.get("pain_score") != plan.pain_score:
            problems.append(f"pain_score {slots.get('pain_score')} != {plan.pain_score}")
        if slots.get("pain_duration") != plan.duration:
            problems.append(f"pain_duration {slots.get('pain_duration')!r} != {plan.duration!r}")
        for summary in summaries:
            if summary.get("conversation_id") != sender:
                problems.append(f"summary of conversation {summary.get('conversation_id')}")
            if summary["pain"].get("score") != plan.pain_score or summary["pain"].get("duration") != plan.duration:
                problems.append(f"summary pain {summary['pain'].get('score')}/{summary['pain'].get('duration')!r}")
        for reply in replies:
            for score in _OUT_OF_TEN.findall(reply.get("text") or ""):
                if int(score) != plan.pain_score:
                    problems.append(f"a reply says {score} out of 10, the patient said {plan.pain_score}")
        completed = len(summaries) == 1 and slots.get("assessment_complete") is True
    else:
        completed = any("bye" in (reply.get("text") or "").lower() for reply in replies[-2:])
    outcome.completed += completed
    if problems:
        outcome.cross_talk += 1
        if len(outcome.cross_talk_samples) < 5:
            outcome.cross_talk_samples.append(f"{sender}: {'; '.join(problems)}")


# --- measuring -----------------------------------------------------------------------------------------------------
def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) of a process and its descendants so far, from /proc."""
    from servers import _children

    total = 0
    for candidate in [pid] + _children(pid):
        try:
            fields = Path(f"/proc/{candidate}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of stat)
        except (FileNotFoundError, IndexError, ProcessLookupError):
            pass
    return total / os.sysconf("SC_CLK_TCK")


def percentile(values: List[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


async def sample_memory(processes: Dict[str, int], peaks: Dict[str, float], stop: asyncio.Event) -> None:
    while True:
        for name, pid in processes.items():
            peaks[name] = max(peaks.get(name, 0.0), resident_mb(pid))
        try:
            await asyncio.wait_for(stop.wait(), 0.5)
            return
        except asyncio.TimeoutError:
            pass


async def run_level(target: Target, pace: Pace, level: int, token: str, run_id: str, peaks: Dict[str, float]) -> dict:
    count = LEVEL_ONE_CONVERSATIONS if level == 1 else level
    plans = [target.plan(random.Random(f"{SEED}-{target.name}-{pace.name}-{level}-{index}"), pace)
             for index in range(count)]
    queue: asyncio.Queue = asyncio.Queue()
    for index, plan in enumerate(plans):
        queue.put_nowait((f"load-{run_id}-{target.name}-{pace.name}-{level}-{index}", plan))
    outcome = Outcome()
    processes = target.processes()
    cpu_before = {name: cpu_seconds(pid) for name, pid in processes.items()}
    stop = asyncio.Event()
    timeout = aiohttp.ClientTimeout(total=REQUEST_TIMEOUT_S)
    async with aiohttp.ClientSession(timeout=timeout, connector=aiohttp.TCPConnector(limit=0)) as session:
        async def patient() -> None:
            while not queue.empty():
                sender, plan = queue.get_nowait()
                await converse(session, target, sender, plan, token, outcome)

        sampler = asyncio.create_task(sample_memory(processes, peaks, stop))
        started = time.perf_counter()
        await asyncio.gather(*(patient() for _ in range(level)))
        wall = time.perf_counter() - started
        stop.set()
        await sampler
    cpu = sum(cpu_seconds(pid) - cpu_before[name] for name, pid in processes.items())
    latencies = outcome.latencies_ms
    figures = {
        "concurrent": level, "conversations": count, "messages": len(latencies), "errors": outcome.errors,
        "cross_talk": outcome.cross_talk, "checked": outcome.checked, "completed": outcome.completed,
        "p50_ms": round(percentile(latencies, 0.50), 1) if latencies else None,
        "p95_ms": round(percentile(latencies, 0.95), 1) if latencies else None,
        "p99_ms": round(percentile(latencies, 0.99), 1) if latencies else None,
        "mean_ms": round(statistics.mean(latencies), 1) if latencies else None,
        "max_ms": round(max(latencies), 1) if latencies else None,
        "throughput_msg_s": round(len(latencies) / wall, 1),
        "conversations_per_min": round(outcome.completed / wall * 60, 1),
        "wall_s": round(wall, 1),
        # None when a process was replaced during the level (its CPU time started again from zero)
        "cpu_ms_per_message": round(cpu * 1000 / len(latencies), 1) if latencies and cpu >= 0 else None,
    }
    if outcome.error_samples:
        figures["error_samples"] = outcome.error_samples
    if outcome.cross_talk_samples:
        figures["cross_talk_samples"] = outcome.cross_talk_samples
    return figures


async def warm_up(target: Target, token: str, run_id: str, conversations: int) -> None:
    outcome = Outcome()
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=REQUEST_TIMEOUT_S)) as session:
        for index in range(conversations):
            await converse(session, target, f"warm-{run_id}-{target.name}-{index}",
                           target.plan(random.Random(SEED), CAPACITY), token, outcome)
    if outcome.errors:
        raise RuntimeError(f"{target.name} failed while warming up: {outcome.error_samples}")


async def measure(target: Target, passes: List[Tuple[Pace, List[int]]], token: str, run_id: str,
                  warm_conversations: int) -> dict:
    print(f"--- {target.name}: {target.url}", flush=True)
    await warm_up(target, token, run_id, warm_conversations)
    peaks: Dict[str, float] = {}
    results: Dict[str, dict] = {"url": target.url}
    for pace, levels in passes:
        results[pace.name] = {}
        for level in levels:
            figures = await run_level(target, pace, level, token, run_id, peaks)
            results[pace.name][str(level)] = figures
            print(f"    {pace.name:<12} {level:>3} concurrent: p50 {figures['p50_ms']} ms, p95 {figures['p95_ms']} ms, "
                  f"{figures['throughput_msg_s']} msg/s, errors {figures['errors']}, cross-talk {figures['cross_talk']}",
                  flush=True)
            await asyncio.sleep(1)
    results["peak_rss_mb"] = {name: round(mb, 1) for name, mb in peaks.items()}
    return results


# --- the production shape ------------------------------------------------------------------------------------------
def production_env() -> Dict[str, str]:
    output = subprocess.run([str(PRODUCTION), "env"], capture_output=True, text=True, check=True).stdout
    return dict(line[len("export "):].split("=", 1) for line in output.splitlines() if line.startswith("export "))


def answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=5):
            return True
    except OSError:
        return False


def production_pids(names: List[str]) -> Callable[[], Dict[str, int]]:
    def read() -> Dict[str, int]:
        state = Path(production_env()["PRODUCTION_DIR"])
        pids = {name: int((state / f"{name}.pid").read_text()) for name in names if (state / f"{name}.pid").exists()}
        postmaster = ROOT / ".run" / "pg-production" / "postmaster.pid"
        if postmaster.exists():
            pids["postgres"] = int(postmaster.read_text().splitlines()[0])
        return pids
    return read


def table(results: dict) -> str:
    lines = [f"{'target':<14} {'pace':<12} {'conc':>4} {'conv':>4} {'msgs':>5} {'err':>3} {'xtalk':>5} {'p50 ms':>7} "
             f"{'p95 ms':>7} {'p99 ms':>7} {'msg/s':>6} {'cpu ms/msg':>10}"]
    for name, target in results.items():
        for pace in (CAPACITY.name, PATIENT_PACE.name):
            for level, f in target.get(pace, {}).items():
                lines.append(f"{name:<14} {pace:<12} {level:>4} {f['conversations']:>4} {f['messages']:>5} "
                             f"{f['errors']:>3} {f['cross_talk']:>5} {f['p50_ms']!s:>7} {f['p95_ms']!s:>7} "
                             f"{f['p99_ms']!s:>7} {f['throughput_msg_s']:>6} {f['cpu_ms_per_message']!s:>10}")
    lines.append("")
    lines.append("peak resident memory (MB, each process with its children):")
    for name, target in results.items():
        lines.append(f"  {name:<14} " + ", ".join(f"{p} {mb:.0f}" for p, mb in target["peak_rss_mb"].items()))
    return "\n".join(lines)


def verdicts(results: dict) -> dict:
    def level(target: str, pace: Pace, concurrent: int) -> Optional[dict]:
        return results[target].get(pace.name, {}).get(str(concurrent))

    every_run = [figures for target in results.values() for pace in (CAPACITY, PATIENT_PACE)
                 for figures in target.get(pace.name, {}).values()]
    at_50 = [figures for figures in every_run if figures["concurrent"] == 50]
    full_paced_20, one_paced_20 = level("two_instances", PATIENT_PACE, 20), level("one_instance", PATIENT_PACE, 20)
    full_20 = level("two_instances", CAPACITY, 20)
    verdict = {
        "errors_at_50": sum(figures["errors"] for figures in at_50),
        "cross_talk_at_50": sum(figures["cross_talk"] for figures in at_50),
        "errors_in_every_run": sum(figures["errors"] for figures in every_run),
        "cross_talk_in_every_run": sum(figures["cross_talk"] for figures in every_run),
        "two_instances_p95_at_20_patient_pace_ms": full_paced_20 and full_paced_20["p95_ms"],
        "one_instance_p95_at_20_patient_pace_ms": one_paced_20 and one_paced_20["p95_ms"],
        "two_instances_p95_at_20_capacity_ms": full_20 and full_20["p95_ms"],
        "throughput_msg_s_capacity": {
            str(concurrent): {name: figures["throughput_msg_s"] for name in results
                              if (figures := level(name, CAPACITY, concurrent))}
            for concurrent in sorted({f["concurrent"] for f in results["moodbot"].get(CAPACITY.name, {}).values()})},
    }
    verdict["met_no_errors_no_cross_talk_at_50"] = bool(at_50) and verdict["errors_at_50"] == 0 \
        and verdict["cross_talk_at_50"] == 0
    verdict["met_p95_at_20_within_300_ms"] = bool(full_paced_20) and (full_paced_20["p95_ms"] or 1e9) <= 300
    top = level("two_instances", CAPACITY, 50), level("moodbot", CAPACITY, 50)
    verdict["met_throughput_at_least_moodbot_at_50"] = bool(all(top)) and \
        top[0]["throughput_msg_s"] >= top[1]["throughput_msg_s"]
    return verdict


async def main_async(levels: List[int], paced_levels: List[int], one_instance_paced_levels: List[int]) -> dict:
    from neurotriage.config import load_settings

    token = os.environ.get("RASA_API_TOKEN") or load_settings().rasa_api_token
    run_id = datetime.now().strftime("%H%M%S") + f"{os.getpid() % 1000:03d}"
    env = production_env()
    rasa_urls = env["PRODUCTION_RASA_URLS"].split(",")
    def passes(paced: List[int]) -> List[Tuple[Pace, List[int]]]:
        return [(CAPACITY, levels)] + ([(PATIENT_PACE, paced)] if paced else [])

    targets = [
        (Target("one_instance", rasa_urls[0], triage_plan, production_pids(["rasa-1", "actions", "redis"])),
         passes(one_instance_paced_levels)),
        (Target("two_instances", env["PRODUCTION_URL"], triage_plan,
                production_pids(["nginx", "rasa-1", "rasa-2", "actions", "redis"])), passes(paced_levels)),
    ]
    results: Dict[str, dict] = {}
    moodbot.ensure_model()
    with moodbot.running_moodbot(MOODBOT_PORT, token) as mood_process:
        # up before anything is measured, so its loading takes no CPU from the other targets
        print(f"moodbot loaded in {moodbot.wait_until_up(mood_process, MOODBOT_PORT):.0f} s", flush=True)
        for target, target_passes in targets:
            results[target.name] = await measure(target, target_passes, token, run_id,
                                                 warm_conversations=2 if target.name == "two_instances" else 1)
        mood = Target("moodbot", f"http://127.0.0.1:{MOODBOT_PORT}", moodbot_plan,
                      lambda: {"moodbot": mood_process.pid}, triage=False)
        results["moodbot"] = await measure(mood, [(CAPACITY, levels)], token, run_id, warm_conversations=3)
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--levels", default=",".join(map(str, LEVELS)),
                        help="concurrency levels at capacity pace, comma-separated (default 1,20,50)")
    parser.add_argument("--paced-levels", default=",".join(map(str, PACED_LEVELS)),
                        help="concurrency levels at patient pace, comma-separated; empty to skip (default 20,50)")
    parser.add_argument("--one-instance-paced-levels", default=",".join(map(str, ONE_INSTANCE_PACED_LEVELS)),
                        help="the same for one instance alone (default 20)")
    args = parser.parse_args()
    levels = [int(level) for level in args.levels.split(",") if level]
    paced_levels = [int(level) for level in args.paced_levels.split(",") if level]
    one_instance_paced_levels = [int(level) for level in args.one_instance_paced_levels.split(",") if level]

    started_here = False
    env = production_env()
    if not answers(env["PRODUCTION_URL"] + "/health/rasa"):
        print("The production shape is not running: starting it (scripts/production.sh start) ...", flush=True)
        subprocess.run([str(PRODUCTION), "start"], check=True, stdout=subprocess.DEVNULL)
        started_here = True
    try:
        load_before = os.getloadavg()
        began = time.perf_counter()
        results = asyncio.run(main_async(levels, paced_levels, one_instance_paced_levels))
        duration = time.perf_counter() - began
    finally:
        if started_here:
            subprocess.run([str(PRODUCTION), "stop"], check=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    import rasa

    report = {
        "benchmark": "load: whole triage conversations, concurrent patients, production shape and moodbot",
        "measured_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "cores": os.cpu_count(), "rasa": rasa.__version__, "model": os.environ.get("MODEL_PATH"),
        "seed": SEED, "paces": {pace.name: {"pause_s": list(pace.pause_s)} for pace in (CAPACITY, PATIENT_PACE)},
        "levels": {CAPACITY.name: levels, PATIENT_PACE.name: paced_levels,
                   f"{PATIENT_PACE.name} (one_instance)": one_instance_paced_levels},
        "messages_per_conversation": {"triage": len(SCRIPT), "moodbot": len(moodbot.MOODBOT_SCRIPT)},
        "load_average_before": [round(value, 2) for value in load_before], "duration_s": round(duration, 1),
        "targets": TARGETS_TEXT,
        "verdicts": verdicts(results),
        "results": results,
    }
    (ROOT / "results").mkdir(exist_ok=True)
    (ROOT / "results" / "bench_load.json").write_text(json.dumps(report, indent=2))
    print()
    print(table(results))
    print()
    for key, value in report["verdicts"].items():
        print(f"{key:<42} {value}")
    print(f"(targets: {TARGETS_TEXT})")
    print(f"load average before: {report['load_average_before']}; took {duration:.0f} s; "
          f"written to results/bench_load.json")
    return 0


if __name__ == "__main__":
    sys.exit(main())
