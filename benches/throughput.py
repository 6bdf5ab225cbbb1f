#!/usr/bin/env python3
"""Throughput baseline for tokenmaxx: MB/s, records/s and peak RSS.

Generates a deterministic corpus of realistic OpenAI chat logs (request and
response in `{request, response}` pairs, varied prose/code/JSON/CJK text,
reported usage) and times the release binary on it:

  report                      usage-only path (reported usage, no tokenizing)
  records --usage counted     tokenizing path (every prompt and response counted)

Usage: python3 benches/throughput.py [--mb 100] [--runs 3] [--threads N]
Build first: cargo build --release
Speed is measured here, never asserted in tests.
"""
import argparse
import json
import os
import random
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

PROSE = (
    "The quarterly report shows revenue growth across every region, driven by "
    "renewals and a strong pipeline. Customers asked for clearer pricing. "
    "We should revisit the onboarding flow before the next release. "
)
CODE = (
    "fn retry<F, T>(mut f: F, tries: u32) -> Result<T, Error>\nwhere F: FnMut() -> Result<T, Error> {\n"
    "    for i in 0..tries {\n        match f() { Ok(v) => return Ok(v), Err(e) if i + 1 < tries => sleep(backoff(i)), Err(e) => return Err(e) }\n    }\n    unreachable!()\n}\n"
)
CJK = "日本語のテキストと中文文本，以及한국어 문장도 포함됩니다。"
WORDS = PROSE.split() + ["async", "tokio", "serde", "deploy", "latency", "p99", "invoice", "refund", "Oslo", "Zürich"]
MODELS = ["gpt-4o-2024-08-06", "gpt-4o-mini-2024-07-18", "gpt-4.1-2025-04-14", "o4-mini-2025-04-16", "gpt-5-2025-08-07"]


def text(rng, n_words):
    parts = []
    for _ in range(n_words):
        r = rng.random()
        if r < 0.02:
            parts.append(CODE)
        elif r < 0.03:
            parts.append(CJK)
        elif r < 0.04:
            parts.append(json.dumps({"id": rng.randint(1, 10**6), "ok": rng.random() < 0.5, "tags": ["a", "b"]}))
        else:
            parts.append(rng.choice(WORDS) + (str(rng.randint(0, 999)) if rng.random() < 0.05 else ""))
    return " ".join(parts)


def generate(path, mb, seed=20261127):
    rng = random.Random(seed)
    target = mb * 1024 * 1024
    written = records = 0
    t0 = 1735689600
    with open(path, "w") as f:
        while written < target:
            model = MODELS[records % len(MODELS)]
            sys_prompt = "You are a support assistant for Acme. " + text(rng, 40)
            user = text(rng, rng.randint(20, 400))
            answer = text(rng, rng.randint(10, 300))
            prompt_tokens = len(sys_prompt + user) // 4 + 10
            completion = len(answer) // 4 + 1
            cached = (prompt_tokens // 1024) * 1024 if rng.random() < 0.4 else 0
            line = json.dumps({
                "timestamp": t0 + records * 37,
                "request": {"model": model.rsplit("-", 3)[0], "user": f"task-{records % 997}",
                            "messages": [{"role": "system", "content": sys_prompt}, {"role": "user", "content": user}]},
                "response": {"id": f"chatcmpl-{records}", "object": "chat.completion", "created": t0 + records * 37,
                             "model": model, "choices": [{"index": 0, "message": {"role": "assistant", "content": answer}, "finish_reason": "stop"}],
                             "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": completion,
                                       "total_tokens": prompt_tokens + completion,
                                       "prompt_tokens_details": {"cached_tokens": cached}}},
            }, ensure_ascii=False)
            f.write(line + "\n")
            written += len(line.encode()) + 1
            records += 1
    return records


def run(cmd):
    """Wall time and peak RSS (MiB) of one child process (its own rusage)."""
    t = time.perf_counter()
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    err = p.stderr.read()
    _, status, usage = os.wait4(p.pid, 0)
    wall = time.perf_counter() - t
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"{' '.join(cmd)} failed: {err.decode()[:500]}")
    return wall, usage.ru_maxrss / 1024


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--mb", type=int, default=100)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--threads", type=int, default=0)
    ap.add_argument("--corpus", default=os.path.join(ROOT, "target", "bench"))
    a = ap.parse_args()
    os.makedirs(a.corpus, exist_ok=True)
    path = os.path.join(a.corpus, f"chat-{a.mb}mb.jsonl")
    if not os.path.exists(path):
        n = generate(path, a.mb)
        print(f"generated {path}: {n} records")
    size = os.path.getsize(path)
    with open(path) as f:
        n_records = sum(1 for _ in f)
    binary = os.path.join(ROOT, "target", "release", "tokenmaxx")
    if not os.path.exists(binary):
        sys.exit("build first: cargo build --release")
    threads = ["--threads", str(a.threads)] if a.threads else []
    print(f"input: {size / 1e6:.1f} MB, {n_records} records; cores: {os.cpu_count()}")
    print(f"{'path':<28} {'best s':>8} {'MB/s':>8} {'records/s':>11} {'peak RSS MiB':>13}")
    for name, args in [
        ("report (reported usage)", ["report", "--format", "json"]),
        ("records --usage counted", ["records", "--usage", "counted"]),
    ]:
        best = None
        rss = 0.0
        for _ in range(a.runs):
            wall, peak = run([binary] + args + threads + ["--quiet", path])
            best = wall if best is None else min(best, wall)
            rss = max(rss, peak)
        print(f"{name:<28} {best:>8.2f} {size / 1e6 / best:>8.1f} {n_records / best:>11.0f} {rss:>13.1f}")


if __name__ == "__main__":
    main()
