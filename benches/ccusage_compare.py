#!/usr/bin/env python3
"""Compare tokenmaxx with ccusage on a generated Claude Code transcript tree.

1. Generates a deterministic (seeded) `~/.claude`-like tree in a temp dir:
   `<root>/projects/<encoded-cwd>/<sessionId>.jsonl` for a few projects over
   several days (sessions cross UTC midnight), written from the documented
   shape (docs/formats.md, claude-code): user lines, assistant responses split
   over 1-4 rows sharing message.id + requestId (identical or growing usage),
   summary / system / file-history-snapshot lines, subagent files (older
   `agent-<id>.jsonl` beside the session, newer
   `<sessionId>/subagents/agent-<id>.jsonl`) with `isSidechain: true` rows,
   some replaying a parent message under the same requestId, `/btw`-style
   asides replaying a parent message under a new requestId (ccusage #913),
   agent `progress` lines that embed the subagent rows (newer builds),
   `<synthetic>` rows, `isApiErrorMessage` rows and legacy `costUSD` rows;
   cache reads, 5m and 1h cache writes, a few >200k-token long-context calls.
   Every id and text is made up.
   The generator also computes the expected per-day buckets by the rules of
   §5 (one count per message.id+requestId keeping the largest usage, dated by
   the row kept; parent copy preferred over sidechain replays; `<synthetic>`
   and API-error rows not billed): the `expected` rows of the table.
2. Runs ccusage (pinned CCUSAGE_VERSION, installed once with npm into a cache
   dir): `ccusage claude daily --json --offline --mode calculate --breakdown
   --timezone UTC --order asc` with CLAUDE_CONFIG_DIR=<root>, TZ=UTC and a
   fresh HOME (ccusage keeps an on-disk parse cache; every run is cold).
3. Runs tokenmaxx: `tokenmaxx report <root>/projects --by day --format json
   --tz UTC --quiet`, and checks that `--source claude-code` with
   CLAUDE_CONFIG_DIR=<root> gives the same groups (when the binary has it).
4. Prints a per-day table (input, output, cache_creation = cache_write_5m +
   cache_write_1h, cache_read, total, cost) for tokenmaxx, ccusage and the
   expected values, MATCH/DIFF per day, a per-model cost table with the price
   sources, wall time and peak RSS of both tools.

Exit status: 0 when every token bucket of every day matches between the two
tools, 1 when one differs (cost differences are reported, never fatal: the
price tables differ), 2 on a setup error.

Usage:
  python3 benches/ccusage_compare.py                      # small tree, seconds
  python3 benches/ccusage_compare.py --sessions 40 --lines-per-session 200
  python3 benches/ccusage_compare.py --mb 50 --runs 3     # benchmark-sized tree
  python3 benches/ccusage_compare.py --keep /tmp/cc-tree  # keep the tree (inspect lines)
Options: --seed N, --days N, --bin PATH (default target/release/tokenmaxx, built
if missing), --ccusage-dir DIR (npm cache, default ~/.cache/tokenmaxx-bench/
ccusage-<version>), --runs N (timing runs per tool; min wall, max RSS).
Python 3 standard library only; needs node/npm for ccusage.
"""
import argparse
import datetime as dt
import json
import os
import random
import shutil
import string
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from decimal import Decimal

try:
    import tomllib  # Python 3.11+
except ImportError:  # pragma: no cover
    tomllib = None

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# 20.0.26 is npm's `latest` (checked 2026-11-27) but its linux-x64 native
# package (@ccusage/ccusage-linux-x64) was never published, so the launcher
# fails on Linux; 20.0.24 is the newest version with a linux-x64 binary.
CCUSAGE_VERSION = "20.0.24"
CCUSAGE_ARGS = [
    "claude", "daily", "--json", "--offline", "--mode", "calculate",
    "--breakdown", "--timezone", "UTC", "--order", "asc",
]

MODELS = [  # (model, weight as the session's main model)
    ("claude-sonnet-4-5-20250929", 6),
    ("claude-opus-4-1-20250805", 2),
    ("claude-haiku-4-5-20251001", 2),
    ("claude-3-5-haiku-20241022", 1),
]
SUBAGENT_MODELS = ["claude-haiku-4-5-20251001", "claude-sonnet-4-5-20250929"]
# Rough $/MTok (input, output) used only to write plausible legacy costUSD values.
LEGACY_RATES = {
    "claude-sonnet-4-5-20250929": (3.0, 15.0),
    "claude-opus-4-1-20250805": (15.0, 75.0),
    "claude-haiku-4-5-20251001": (1.0, 5.0),
    "claude-3-5-haiku-20241022": (0.8, 4.0),
}
PROJECTS = [
    "/home/dev/widget-api",
    "/home/dev/notes.app",
    "/srv/work/data.pipeline",
    "/Users/kim/src/tiny-compiler",
]
WORDS = (
    "the a of to and in for on with parser config retry cache handler request "
    "response token budget index module test fixture schema migration queue "
    "worker backoff timeout deploy build lint format error warning branch "
    "commit review refactor rename split merge stream buffer offset limit "
    "page cursor window batch shard replica lock mutex channel future"
).split()
CODE_LINES = [
    "fn parse_header(buf: &[u8]) -> Result<Header, Error> {",
    "    let len = u32::from_le_bytes(buf[0..4].try_into()?);",
    "    if len > MAX_FRAME { return Err(Error::TooLarge(len)); }",
    "def retry(fn, tries=3, base=0.25):",
    "    for i in range(tries):",
    "        try:\n            return fn()\n        except TimeoutError:\n            time.sleep(base * 2 ** i)",
    "export async function fetchPage(cursor?: string): Promise<Page> {",
    "  const res = await client.get(`/items?cursor=${cursor ?? ''}`);",
    "SELECT id, created_at, amount FROM invoices WHERE status = 'open' ORDER BY 2;",
    "}",
    "// TODO: handle the empty batch before the queue drains",
    "    assert_eq!(decode(&encode(&msg)), msg);",
]
TOOLS = ["Read", "Edit", "Bash", "Grep", "Glob", "Write"]
B62 = string.ascii_letters + string.digits


# --------------------------------------------------------------------------
# generator
# --------------------------------------------------------------------------

def encode_cwd(cwd):
    return cwd.replace("/", "-").replace(".", "-")


def iso(t):
    return dt.datetime.fromtimestamp(t, dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (
        int(round(t * 1000)) % 1000
    )


def day_of(t):
    return dt.datetime.fromtimestamp(t, dt.timezone.utc).strftime("%Y-%m-%d")


def utotal(u):
    return u["input_tokens"] + u["output_tokens"] + u["cache_creation_input_tokens"] + u["cache_read_input_tokens"]


class Gen:
    def __init__(self, root, seed, days, start_day, lines_per_session):
        self.rng = random.Random(seed)
        self.root = root
        self.days = days
        self.start = dt.datetime.strptime(start_day, "%Y-%m-%d").replace(tzinfo=dt.timezone.utc).timestamp()
        self.lps = lines_per_session
        self.bytes = 0
        self.files = 0
        self.lines = 0
        self.stats = Counter()
        # (message.id, requestId) -> {"rows": [(t, usage)], "model", "cost"}: originals only
        self.calls = {}
        self.call_order = []
        self.open = {}
        self.lineno = Counter()

    # -- ids and text -----------------------------------------------------
    def b62(self, n):
        return "".join(self.rng.choice(B62) for _ in range(n))

    def uuid(self):
        r = self.rng.getrandbits(128)
        h = "%032x" % r
        return "%s-%s-4%s-%s%s-%s" % (h[0:8], h[8:12], h[13:16], "89ab"[r % 4], h[17:20], h[20:32])

    def hexid(self, n):
        return "%0*x" % (n, self.rng.getrandbits(4 * n))

    def words(self, lo, hi):
        n = self.rng.randint(lo, hi)
        s = " ".join(self.rng.choice(WORDS) for _ in range(n))
        return s[:1].upper() + s[1:] + "."

    def code(self, lo, hi):
        return "\n".join(self.rng.choice(CODE_LINES) for _ in range(self.rng.randint(lo, hi)))

    # -- file output ----------------------------------------------------------
    def write(self, path, obj):
        f = self.open.get(path)
        if f is None:
            os.makedirs(os.path.dirname(path), exist_ok=True)
            f = self.open[path] = open(path, "w", encoding="utf-8")
            self.files += 1
        line = json.dumps(obj, separators=(",", ":"), ensure_ascii=False) + "\n"
        f.write(line)
        self.bytes += len(line.encode("utf-8"))
        self.lines += 1
        self.lineno[path] += 1

    def close(self):
        for f in self.open.values():
            f.close()
        self.open = {}

    # -- usage ----------------------------------------------------------------
    def usage(self, s, ctx, new, out, first):
        """Anthropic usage: `new` tokens written to the cache, `ctx` read from it."""
        rng = self.rng
        if s["ttl"] == "5m":
            w1h = 0
        elif s["ttl"] == "1h":
            w1h = new
        else:  # mixed: the stable prefix goes to the 1h cache, the rest 5m
            w1h = new if first else (new * rng.choice([0, 0, 0, 1, 2]) // 4)
        u = {
            "input_tokens": rng.choice([1, 2, 3, 4, 6, 8, 10]) if rng.random() < 0.9 else rng.randint(20, 3000),
            "cache_creation_input_tokens": new,
            "cache_read_input_tokens": ctx,
        }
        if not s["legacy"]:
            u["cache_creation"] = {"ephemeral_5m_input_tokens": new - w1h, "ephemeral_1h_input_tokens": w1h}
        u["output_tokens"] = out
        if not s["legacy"]:
            u["service_tier"] = "standard"
        return u

    def common(self, s, sidechain=False, agent=None):
        d = {
            "parentUuid": s["parent"],
            "isSidechain": sidechain,
            "userType": "external",
            "cwd": s["cwd"],
            "sessionId": s["sid"],
            "version": s["version"],
            "gitBranch": s["branch"],
        }
        if agent:
            d["agentId"] = agent
        return d

    def user(self, s, path, t, content, sidechain=False, agent=None, extra=None):
        u = self.uuid()
        d = self.common(s, sidechain, agent)
        d.update({"type": "user", "message": {"role": "user", "content": content}, "uuid": u, "timestamp": iso(t)})
        if extra:
            d.update(extra)
        self.write(path, d)
        s["parent"] = u
        return u

    def blocks(self, tool):
        rng = self.rng
        out = []
        if rng.random() < 0.35:
            out.append({"type": "thinking", "thinking": self.words(10, 60), "signature": self.b62(48)})
        if rng.random() < 0.8 or tool is None:
            out.append({"type": "text", "text": self.words(4, 40)})
        if tool == "Task":
            out.append({"type": "tool_use", "id": "toolu_01" + self.b62(22), "name": "Task",
                        "input": {"description": self.words(2, 5), "prompt": self.words(15, 40),
                                  "subagent_type": "general-purpose"}})
        elif tool:
            inp = {"file_path": s_path(self.rng)} if tool in ("Read", "Edit", "Write") else {"command": "cargo test -q"} \
                if tool == "Bash" else {"pattern": self.rng.choice(WORDS)}
            if tool == "Edit":
                inp.update({"old_string": self.rng.choice(CODE_LINES), "new_string": self.rng.choice(CODE_LINES)})
            out.append({"type": "tool_use", "id": "toolu_01" + self.b62(22), "name": tool, "input": inp})
        return out

    def call(self, s, path, t, model, ctx, new, out, first, tool, sidechain=False, agent=None, record=True,
             progress_to=None):
        """One API response: one row per content block, same message.id + requestId.
        Returns (t_after, rows)."""
        rng = self.rng
        mid = "msg_01" + self.b62(22)
        rid = "req_011C" + self.b62(20)
        bl = self.blocks(tool)
        u_final = self.usage(s, ctx, new, out, first)
        growing = s["growing"]
        rows = []
        key = (mid, rid)
        cost = None
        if s["legacy"]:
            ri, ro = LEGACY_RATES[model]
            cost = round((u_final["input_tokens"] + new * 1.25 + ctx * 0.1) * ri / 1e6 + out * ro / 1e6, 8)
        for i, b in enumerate(bl):
            last = i == len(bl) - 1
            u = json.loads(json.dumps(u_final))
            if growing and not last:
                u["output_tokens"] = max(1, out * (i + 1) // (len(bl) + 1)) if out > 1 else out
                if i == 0 and rng.random() < 0.5:
                    u["output_tokens"] = 1
            uid = self.uuid()
            d = self.common(s, sidechain, agent)
            d.update({
                "type": "assistant",
                "requestId": rid,
                "message": {"id": mid, "type": "message", "role": "assistant", "model": model, "content": [b],
                            "stop_reason": ("tool_use" if b["type"] == "tool_use" else "end_turn") if last else None,
                            "stop_sequence": None, "usage": u},
                "uuid": uid,
                "timestamp": iso(t),
            })
            if cost is not None:
                d["costUSD"] = cost
            self.write(path, d)
            if progress_to:
                self.progress(s, progress_to, d, agent)
            s["parent"] = uid
            rows.append(d)
            if record:
                c = self.calls.get(key)
                if c is None:
                    c = self.calls[key] = {"rows": [], "model": model, "cost": cost}
                    self.call_order.append(key)
                c["rows"].append((t, u, path, self.lineno[path]))
            t += rng.uniform(0.15, 2.5)
        self.stats["api_calls"] += 1
        self.stats["assistant_rows"] += len(bl)
        if len(bl) > 1:
            self.stats["split_calls"] += 1
            self.stats["growing_split_calls" if growing else "identical_split_calls"] += 1
        if ctx + new + u_final["input_tokens"] > 200000:
            self.stats["calls_over_200k_input"] += 1
        return t, rows

    def progress(self, s, path, row, agent):
        """Newer builds echo each subagent row into the parent session as an agent progress line."""
        p = self.common(s)
        p.update({
            "type": "progress",
            "data": {"type": "agent_progress", "agentId": agent, "prompt": "",
                     "message": {"type": "assistant", "timestamp": row["timestamp"], "requestId": row["requestId"],
                                 "uuid": row["uuid"], "message": row["message"]}},
            "toolUseID": "toolu_01" + self.b62(22),
            "parentToolUseID": s["task_tool"],
            "uuid": self.uuid(),
            "timestamp": row["timestamp"],
        })
        self.write(path, p)
        self.stats["progress_lines"] += 1

    def synthetic(self, s, path, t, error):
        d = self.common(s)
        text = ("API Error: 529 {\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}}"
                if error else "No response requested.")
        d.update({
            "type": "assistant",
            "message": {"id": self.uuid(), "model": "<synthetic>", "role": "assistant", "stop_reason": "stop_sequence",
                        "stop_sequence": "", "type": "message",
                        "usage": {"input_tokens": 0, "output_tokens": 0, "cache_creation_input_tokens": 0,
                                  "cache_read_input_tokens": 0},
                        "content": [{"type": "text", "text": text}]},
            "uuid": self.uuid(),
            "timestamp": iso(t),
        })
        if error:
            d["isApiErrorMessage"] = True
        self.write(path, d)
        s["parent"] = d["uuid"]
        self.stats["api_error_rows" if error else "synthetic_rows"] += 1

    # -- sessions -------------------------------------------------------------
    def session(self):
        rng = self.rng
        era = rng.choices(["legacy", "v2.0", "v2.1"], weights=[1, 3, 4])[0]
        version = {"legacy": "1.0.%d" % rng.randint(40, 128), "v2.0": "2.0.%d" % rng.randint(10, 77),
                   "v2.1": "2.1.%d" % rng.randint(1, 30)}[era]
        model = rng.choices([m for m, _ in MODELS], weights=[w for _, w in MODELS])[0]
        cwd = rng.choice(PROJECTS)
        s = {
            "sid": self.uuid(), "cwd": cwd, "version": version, "era": era, "legacy": era == "legacy",
            "branch": rng.choice(["main", "main", "feat/retry", "fix/cursor"]), "parent": None,
            "ttl": "5m" if era == "legacy" else rng.choices(["5m", "1h", "mixed"], weights=[4, 2, 3])[0],
            "growing": rng.random() < 0.5, "task_tool": None,
        }
        limit = 330000 if model.startswith("claude-sonnet") and rng.random() < 0.12 else 160000
        pdir = os.path.join(self.root, "projects", encode_cwd(cwd))
        path = os.path.join(pdir, s["sid"] + ".jsonl")
        # start: a random day; a third of the sessions start late and cross UTC midnight
        day = rng.randrange(self.days)
        hour = rng.uniform(23.4, 23.98) if rng.random() < 0.33 else rng.uniform(7, 22)
        t = self.start + day * 86400 + hour * 3600
        self.stats["sessions"] += 1
        if rng.random() < 0.3:  # resumed session: summaries first
            for _ in range(rng.randint(1, 2)):
                self.write(path, {"type": "summary", "summary": self.words(3, 7), "leafUuid": self.uuid()})
        # a long-context session (resumed with a large history) crosses 200k input tokens
        ctx = rng.randint(140000, 190000) if limit > 200000 else 0
        first = True
        main_lines0 = self.lines
        self.user(s, path, t, self.words(5, 30))
        tool = None
        while self.lines - main_lines0 < self.lps:
            t += rng.uniform(2, 40)
            if not s["legacy"] and rng.random() < 0.08:
                self.write(path, {"type": "file-history-snapshot", "messageId": self.uuid(),
                                  "snapshot": {"messageId": self.uuid(), "trackedFileBackups": {}, "timestamp": iso(t)},
                                  "isSnapshotUpdate": False})
            # a response whose rows straddle UTC midnight
            nxt = self.start + (int((t - self.start) // 86400) + 1) * 86400
            if nxt - t < 60 and rng.random() < 0.7:
                t = nxt - rng.uniform(0.2, 0.9)
                self.stats["calls_started_just_before_midnight"] += 1
            r = rng.random()
            if r < 0.03:
                self.synthetic(s, path, t, error=True)
                continue
            if r < 0.05:
                self.user(s, path, t, [{"type": "text", "text": "[Request interrupted by user]"}])
                self.synthetic(s, path, t + 0.01, error=False)
                self.user(s, path, t + rng.uniform(3, 20), self.words(4, 20))
                continue
            if ctx == 0 or first:
                new = rng.randint(9000, 24000)
            else:
                new = rng.randint(80, 6000)
            tool = rng.choices([None, "Task", "tool"], weights=[3, 1 if self.lps >= 20 else 0, 8])[0]
            if tool == "tool":
                tool = rng.choice(TOOLS)
            out = rng.randint(1, 30) if rng.random() < 0.1 else rng.randint(40, 2500)
            t, rows = self.call(s, path, t, model, ctx, new, out, first, tool)
            first = False
            ctx += new
            if tool == "Task":
                s["task_tool"] = rows[-1]["message"]["content"][0]["id"]
                t = self.subagent(s, pdir, path, t, model, rows)
                self.user(s, path, t, [{"type": "tool_result", "tool_use_id": s["task_tool"],
                                        "content": [{"type": "text", "text": self.words(20, 120)}]}])
            elif tool:
                t += rng.uniform(0.3, 8)
                body = self.code(3, 60) if rng.random() < 0.7 else self.words(10, 200)
                self.user(s, path, t, [{"type": "tool_result", "tool_use_id": rows[-1]["message"]["content"][0]["id"],
                                        "content": body}],
                          extra={"toolUseResult": {"stdout": body[:200], "stderr": "", "interrupted": False}})
            else:
                if not s["legacy"] and rng.random() < 0.4:
                    d = self.common(s)
                    d.update({"type": "system", "subtype": "turn_duration", "durationMs": rng.randint(2000, 90000),
                              "uuid": self.uuid(), "timestamp": iso(t), "isMeta": False})
                    self.write(path, d)
                t += rng.uniform(10, 600)
                self.user(s, path, t, self.words(4, 40))
            if rng.random() < 0.05 and not s["legacy"] and ctx > 0:
                self.aside(s, pdir, path, t, model, rows, ctx)
            if ctx > limit:  # auto-compact
                d = self.common(s)
                d.update({"type": "system", "subtype": "compact_boundary", "content": "Conversation compacted",
                          "uuid": self.uuid(), "logicalParentUuid": s["parent"], "timestamp": iso(t),
                          "compactMetadata": {"trigger": "auto", "preTokens": ctx}})
                d["parentUuid"] = None
                self.write(path, d)
                s["parent"] = d["uuid"]
                self.user(s, path, t + 0.5, self.words(40, 120), extra={"isCompactSummary": True})
                ctx = 0
                first = True
                self.stats["compactions"] += 1
        if rng.random() < 0.5:
            self.write(path, {"type": "summary", "summary": self.words(3, 7), "leafUuid": s["parent"]})

    def agent_path(self, s, pdir, agent):
        if s["era"] == "v2.1":
            return os.path.join(pdir, s["sid"], "subagents", "agent-%s.jsonl" % agent)
        return os.path.join(pdir, "agent-%s.jsonl" % agent)

    def subagent(self, s, pdir, parent_path, t, model, parent_rows):
        """A Task subagent: its own file, isSidechain rows; sometimes it first
        replays the parent's latest response rows (same message.id + requestId)."""
        rng = self.rng
        agent = ("a" + self.hexid(16)) if s["era"] == "v2.1" else self.hexid(8)
        path = self.agent_path(s, pdir, agent)
        saved_parent = s["parent"]
        s["parent"] = None
        self.stats["subagent_files"] += 1
        if rng.random() < 0.4:
            for row in parent_rows[-rng.randint(1, len(parent_rows)):]:
                d = json.loads(json.dumps(row))
                d["isSidechain"] = True
                d["agentId"] = agent
                self.write(path, d)
                self.stats["sidechain_replays_same_request"] += 1
        t += rng.uniform(0.5, 3)
        self.user(s, path, t, self.words(15, 40), sidechain=True, agent=agent)
        sub_model = rng.choice(SUBAGENT_MODELS + [model])
        progress_to = parent_path if s["era"] == "v2.1" else None
        ctx = 0
        first = True
        for i in range(rng.randint(2, 6)):
            t += rng.uniform(1, 20)
            new = rng.randint(6000, 14000) if ctx == 0 else rng.randint(100, 4000)
            last = i > 0 and rng.random() < 0.3
            tool = None if last else rng.choice(TOOLS)
            t, rows = self.call(s, path, t, sub_model, ctx, new, rng.randint(30, 1500), first, tool,
                                sidechain=True, agent=agent, progress_to=progress_to)
            first = False
            ctx += new
            if last:
                break
            t += rng.uniform(0.3, 5)
            self.user(s, path, t, [{"type": "tool_result", "tool_use_id": rows[-1]["message"]["content"][-1]["id"],
                                    "content": self.code(2, 30)}], sidechain=True, agent=agent)
        s["parent"] = saved_parent
        return t + rng.uniform(0.5, 3)

    def aside(self, s, pdir, parent_path, t, model, parent_rows, ctx):
        """A `/btw` side question: the aside log replays a parent response with a
        new requestId (and the larger cache read of the replayed context), then
        answers with its own response (ccusage #913)."""
        rng = self.rng
        agent = "a" + self.hexid(16) if s["era"] == "v2.1" else self.hexid(8)
        path = self.agent_path(s, pdir, agent)
        saved_parent = s["parent"]
        s["parent"] = None
        self.stats["aside_files"] += 1
        row = json.loads(json.dumps(parent_rows[-1]))
        row["isSidechain"] = True
        row["agentId"] = agent
        row["requestId"] = "req_011C" + self.b62(20)
        row["message"]["usage"]["cache_read_input_tokens"] = ctx
        row["timestamp"] = iso(t + 1)
        self.write(path, row)
        self.stats["sidechain_replays_new_request"] += 1
        self.user(s, path, t + 2, self.words(5, 15), sidechain=True, agent=agent)
        self.call(s, path, t + 4, model, ctx, rng.randint(50, 400), rng.randint(30, 400), False, None,
                  sidechain=True, agent=agent)
        self.stats["aside_answers"] += 1
        s["parent"] = saved_parent

    # -- expected values -------------------------------------------------------
    def expected(self):
        """Per-day buckets by the §5 rules; the kept row is the first with the largest total."""
        days = defaultdict(Counter)
        legacy_cost = Decimal(0)
        straddle = 0
        for key in self.call_order:
            c = self.calls[key]
            best_t, best = c["rows"][0][:2]
            for tt, u, _, _ in c["rows"][1:]:
                if utotal(u) > utotal(best):
                    best_t, best = tt, u
            c["kept"] = (best_t, best)
            if len({day_of(r[0]) for r in c["rows"]}) > 1:
                straddle += 1
            d = days[day_of(best_t)]
            d["input"] += best["input_tokens"]
            d["output"] += best["output_tokens"]
            d["cache_creation"] += best["cache_creation_input_tokens"]
            d["cache_read"] += best["cache_read_input_tokens"]
            d["records"] += 1
            if c["cost"] is not None:
                legacy_cost += Decimal(repr(c["cost"]))
        for d in days.values():
            d["total"] = d["input"] + d["output"] + d["cache_creation"] + d["cache_read"]
        return days, legacy_cost, straddle


def explain(tm, root, g, env, limit=2):
    """Why tokenmaxx differs from the expected values: match every record of
    `tokenmaxx records` (by the message.id of its source line) to the
    generated call and classify the differences, with the lines involved."""
    files = {}

    def line(path, n):
        if path not in files:
            with open(path, encoding="utf-8") as f:
                files[path] = f.read().splitlines()
        return files[path][n - 1]

    by_mid = {mid: (rid, c) for (mid, rid), c in g.calls.items()}
    p = subprocess.run([tm, "records", os.path.join(root, "projects"), "--quiet"], env=env, stdout=subprocess.PIPE,
                       check=True)
    seen = set()
    cats = defaultdict(list)
    for rec_line in p.stdout.decode("utf-8").splitlines():
        rec = json.loads(rec_line)
        src = json.loads(line(rec["source"]["path"], rec["source"]["line"]))
        mid = src.get("message", {}).get("id")
        if mid not in by_mid:
            cats["billed a record the generator did not expect"].append((rec, src, None))
            continue
        seen.add(mid)
        rid, c = by_mid[mid]
        kt, ku = c["kept"]
        u = rec["usage"]
        mine = {"input": u["input"], "output": u["output"], "cache_read": u["cache_read"],
                "cache_creation": u["cache_write_5m"] + u["cache_write_1h"]}
        exp = {"input": ku["input_tokens"], "output": ku["output_tokens"], "cache_read": ku["cache_read_input_tokens"],
               "cache_creation": ku["cache_creation_input_tokens"]}
        rday = rec["timestamp"][:10]
        if mine != exp and src.get("isSidechain") and src.get("requestId") != rid:
            cats["billed a sidechain replay (new requestId) instead of the parent response"].append((rec, src, c))
        elif mine != exp and src.get("isSidechain") and rec["source"]["path"] != c["rows"][0][2]:
            cats["billed a sidechain replay (same requestId) instead of the parent response"].append((rec, src, c))
        elif mine != exp:
            cats["usage differs from the largest row of the response"].append((rec, src, c))
        elif rday != day_of(kt):
            cats["same usage, other day: split rows on both sides of UTC midnight"].append((rec, src, c))
    missing = [c for mid, (rid, c) in by_mid.items() if mid not in seen]
    if missing:
        cats["expected response not billed"] = [(None, None, c) for c in missing]
    if not cats:
        print("explain: every tokenmaxx record matches its expected response (usage and day)")
        return
    print("explain (tokenmaxx records vs the generated responses):")
    for cat, items in cats.items():
        dd = Counter()
        for rec, src, c in items:
            if rec and c:
                u = rec["usage"]
                ku = c["kept"][1]
                dd["cache_read"] += u["cache_read"] - ku["cache_read_input_tokens"]
                dd["output"] += u["output"] - ku["output_tokens"]
        print("  %s: %d record(s)%s" % (cat, len(items), "; tokenmaxx - expected: " + ", ".join(
            "%s %+d" % kv for kv in sorted(dd.items()) if kv[1]) if any(dd.values()) else ""))
        for rec, src, c in items[:limit]:
            if c:
                print("    expected: %s day %s, rows:" % (c["model"], day_of(c["kept"][0])))
                for t, u, path, n in c["rows"]:
                    print("      %s:%d %s" % (os.path.relpath(path, root), n, _brief(line(path, n))))
            if rec:
                u = rec["usage"]
                print("    tokenmaxx billed %s:%d (first row of its record) day %s, usage in %d out %d cache_write %d"
                      " cache_read %d" % (
                          os.path.relpath(rec["source"]["path"], root), rec["source"]["line"], rec["timestamp"][:10],
                          u["input"], u["output"], u["cache_write_5m"] + u["cache_write_1h"], u["cache_read"]))


def _brief(raw):
    """A transcript line cut down to the fields that decide billing."""
    d = json.loads(raw)
    m = d.get("message", {})
    u = m.get("usage", {})
    return json.dumps({k: v for k, v in {
        "type": d.get("type"), "isSidechain": d.get("isSidechain"), "timestamp": d.get("timestamp"),
        "requestId": d.get("requestId"), "message.id": m.get("id"), "model": m.get("model"),
        "usage": {k: u.get(k) for k in ("input_tokens", "output_tokens", "cache_creation_input_tokens",
                                         "cache_read_input_tokens")},
    }.items() if v is not None}, separators=(",", ":"))


def die(msg):
    """A setup error: exit 2 (1 is reserved for a token difference)."""
    print(msg, file=sys.stderr)
    sys.exit(2)


def _ts(s):
    return dt.datetime.strptime(s, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=dt.timezone.utc).timestamp()


def s_path(rng):
    return rng.choice(["src/lib.rs", "src/fetch.ts", "app/models.py", "README.md", "migrations/0007_idx.sql"])


def generate(root, args):
    g = Gen(root, args.seed, args.days, args.start, args.lines_per_session)
    target = int(args.mb * 1024 * 1024) if args.mb else 0
    n = 0
    while n < args.sessions or g.bytes < target:
        g.session()
        n += 1
    g.close()
    return g


# --------------------------------------------------------------------------
# running the tools
# --------------------------------------------------------------------------

def have_gnu_time():
    return os.access("/usr/bin/time", os.X_OK)


def timed(cmd, env, runs):
    """Run cmd `runs` times; return (stdout of the last run, min wall s, max peak RSS KiB, rss source)."""
    best_wall, peak, out = None, 0, None
    src = "/usr/bin/time -v" if have_gnu_time() else "getrusage(RUSAGE_CHILDREN) (max over all children so far)"
    for _ in range(runs):
        with tempfile.NamedTemporaryFile("r", suffix=".time") as tf:
            full = (["/usr/bin/time", "-v", "-o", tf.name] + cmd) if have_gnu_time() else cmd
            t0 = time.perf_counter()
            p = subprocess.run(full, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            wall = time.perf_counter() - t0
            if p.returncode != 0:
                sys.stderr.write(p.stderr.decode("utf-8", "replace"))
                die("error: %s exited %d" % (" ".join(cmd), p.returncode))
            rss = 0
            if have_gnu_time():
                for line in tf.read().splitlines():
                    if "Maximum resident set size" in line:
                        rss = int(line.rsplit(":", 1)[1])
            else:
                import resource
                rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        best_wall = wall if best_wall is None else min(best_wall, wall)
        peak = max(peak, rss)
        out = p.stdout
    return out, best_wall, peak, src


def ensure_ccusage(cache_dir):
    bin_launcher = os.path.join(cache_dir, "node_modules", ".bin", "ccusage")
    native = os.path.join(cache_dir, "node_modules", "@ccusage", "ccusage-linux-x64", "bin", "ccusage")
    if not os.path.exists(bin_launcher):
        os.makedirs(cache_dir, exist_ok=True)
        print("installing ccusage@%s into %s" % (CCUSAGE_VERSION, cache_dir), file=sys.stderr)
        subprocess.run(["npm", "install", "--prefix", cache_dir, "--no-audit", "--no-fund",
                        "ccusage@" + CCUSAGE_VERSION], check=True, stdout=sys.stderr)
    v = subprocess.run([bin_launcher, "--version"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    if v.returncode != 0:
        die("error: ccusage does not run: %s" % v.stdout.decode("utf-8", "replace").strip())
    # Time the native binary directly when present (the npm launcher is node + spawn).
    return bin_launcher, (native if os.access(native, os.X_OK) else None), v.stdout.decode().strip()


DEFAULT_BIN = os.path.join(ROOT, "target", "release", "tokenmaxx")


def ensure_tokenmaxx(path):
    if not os.path.exists(path):
        if os.path.abspath(path) != DEFAULT_BIN:
            die("error: --bin %s does not exist" % path)
        print("building tokenmaxx (cargo build --release)", file=sys.stderr)
        subprocess.run(["cargo", "build", "--release"], cwd=ROOT, check=True)
    return os.path.abspath(path)


def tool_env(root, home):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CLAUDE_", "CCUSAGE_", "TOKENMAXX_"))}
    env.update({"CLAUDE_CONFIG_DIR": root, "TZ": "UTC", "HOME": home, "XDG_CACHE_HOME": os.path.join(home, ".cache"),
                "XDG_CONFIG_HOME": os.path.join(home, ".config"), "NO_COLOR": "1", "LOG_LEVEL": "0"})
    return env


def cc_days(doc):
    out = {}
    for row in doc.get("daily", []):
        out[row["date"]] = {
            "input": row.get("inputTokens", 0), "output": row.get("outputTokens", 0),
            "cache_creation": row.get("cacheCreationTokens", 0), "cache_read": row.get("cacheReadTokens", 0),
            "total": row.get("totalTokens"), "cost": Decimal(repr(row.get("totalCost", 0.0))),
        }
        d = out[row["date"]]
        if d["total"] is None:
            d["total"] = d["input"] + d["output"] + d["cache_creation"] + d["cache_read"]
    return out


def tm_bucket(usage):
    return {"input": usage["input"], "output": usage["output"],
            "cache_creation": usage["cache_write_5m"] + usage["cache_write_1h"], "cache_read": usage["cache_read"],
            "total": usage["input"] + usage["output"] + usage["cache_write_5m"] + usage["cache_write_1h"] + usage["cache_read"],
            "reported_total": usage.get("total")}


def tm_days(doc):
    out = {}
    for g in doc["groups"]:
        d = tm_bucket(g["usage"])
        d["cost"] = Decimal(g["cost_usd"]) if g.get("cost_usd") is not None else None
        d["records"] = g.get("records")
        out[g["key"]["day"]] = d
    return out


# --------------------------------------------------------------------------
# output
# --------------------------------------------------------------------------

BUCKETS = ["input", "output", "cache_creation", "cache_read", "total"]


def fmt_cost(c):
    return "-" if c is None else "%.4f" % c


def print_table(tm, cc, exp):
    days = sorted(set(tm) | set(cc) | set(exp))
    hdr = "%-10s  %-9s %12s %12s %14s %14s %14s %12s  %s" % (
        "day", "tool", "input", "output", "cache_creation", "cache_read", "total", "cost_usd", "")
    print(hdr)
    print("-" * len(hdr))
    diffs = 0
    zero = {b: 0 for b in BUCKETS}
    for day in days:
        a, b, e = tm.get(day, dict(zero, cost=None)), cc.get(day, dict(zero, cost=None)), exp.get(day, zero)
        bad = [k for k in BUCKETS if a[k] != b[k]]
        diffs += bool(bad)
        for name, row in (("tokenmaxx", a), ("ccusage", b), ("expected", e)):
            cells = []
            for k in BUCKETS:
                cells.append(("%s%s" % (row[k], "*" if k in bad and name != "expected" else " ")))
            status = ""
            if name == "tokenmaxx":
                status = "MATCH" if not bad else "DIFF (%s)" % ",".join(bad)
            elif name == "expected":
                wrong = [n for n, r in (("tokenmaxx", a), ("ccusage", b)) if any(r[k] != e[k] for k in BUCKETS)]
                status = ("expected != " + ",".join(wrong)) if wrong else ""
            print("%-10s  %-9s %13s%13s%15s%15s%15s %12s  %s" % (
                day if name == "tokenmaxx" else "", name, *cells, fmt_cost(row.get("cost")), status))
    return diffs, days


def price_notes(models, first_day):
    notes = []
    tbl = {}
    if tomllib is not None:
        p = os.path.join(ROOT, "pricing", "anthropic.toml")
        try:
            with open(p, "rb") as f:
                doc = tomllib.load(f)
            for m in doc.get("model", []):
                for name in m.get("names", []):
                    tbl[name] = m
        except OSError:
            pass
    for model in models:
        m = tbl.get(model)
        if not m:
            notes.append("  %-28s tokenmaxx: not in pricing/anthropic.toml" % model)
            continue
        rows = [r for r in m.get("price", []) if str(r.get("from", "")) <= first_day] or m.get("price", [])[:1]
        r = rows[-1]
        lc = r.get("long_context")
        notes.append("  %-28s tokenmaxx: in %s out %s read %s w5m %s w1h %s $/MTok from %s%s (%s)" % (
            model, r.get("input"), r.get("output"), r.get("cache_read"), r.get("cache_write_5m"),
            r.get("cache_write_1h"), r.get("from"),
            "; >%s: in %s out %s" % (lc.get("above"), lc.get("input"), lc.get("output")) if lc else "",
            r.get("source", "?")))
    return notes


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sessions", type=int, default=12, help="main sessions to generate (default 12)")
    ap.add_argument("--lines-per-session", type=int, default=60, help="lines per main session file (default 60)")
    ap.add_argument("--mb", type=float, default=0, help="keep adding sessions until the tree has this many MB")
    ap.add_argument("--days", type=int, default=5, help="days the sessions start on (default 5)")
    ap.add_argument("--start", default="2025-10-28", help="first day (UTC), default 2025-10-28")
    ap.add_argument("--seed", type=int, default=20251028)
    ap.add_argument("--bin", default=DEFAULT_BIN, help="tokenmaxx binary (default target/release/tokenmaxx, built if missing)")
    ap.add_argument("--ccusage-dir", default=os.path.join(os.path.expanduser("~"), ".cache", "tokenmaxx-bench",
                                                          "ccusage-" + CCUSAGE_VERSION))
    ap.add_argument("--runs", type=int, default=1, help="timing runs per tool (min wall, max RSS)")
    ap.add_argument("--explain", action="store_true",
                    help="classify tokenmaxx's records against the generated responses even when the days match")
    ap.add_argument("--keep", metavar="DIR", help="generate into DIR (emptied first) and keep it")
    args = ap.parse_args()

    tmp = tempfile.mkdtemp(prefix="ccusage-compare-")
    try:
        if args.keep:
            root = os.path.abspath(args.keep)
            if os.path.isdir(root) and not set(os.listdir(root)) <= {"projects"}:
                die("error: --keep %s: not empty and not a generated tree (only `projects/` is allowed)"
                                 % root)
            shutil.rmtree(root, ignore_errors=True)
            os.makedirs(root)
        else:
            root = os.path.join(tmp, "claude")
        t0 = time.perf_counter()
        g = generate(root, args)
        exp, legacy_cost, straddle = g.expected()
        print("tree: %s  %d files, %d lines, %.1f MB (generated in %.1fs, seed %d)" % (
            root, g.files, g.lines, g.bytes / 1048576, time.perf_counter() - t0, args.seed))
        print("  " + ", ".join("%s %d" % kv for kv in sorted(g.stats.items())))
        print("  expected: %d billed API calls; %d have rows on two UTC days (dated by the kept row)" % (
            len(g.calls), straddle))

        launcher, native, ccv = ensure_ccusage(args.ccusage_dir)
        ccbin = native or launcher
        tm = ensure_tokenmaxx(args.bin)
        home = os.path.join(tmp, "home")

        def fresh_env():
            shutil.rmtree(home, ignore_errors=True)
            os.makedirs(home)
            return tool_env(root, home)

        cc_cmd = [ccbin] + CCUSAGE_ARGS
        cc_out, cc_wall, cc_rss, rss_src = None, None, 0, None
        # ccusage caches parsed files under HOME: a fresh HOME for every run keeps them cold.
        walls = []
        for _ in range(args.runs):
            cc_out, w, r, rss_src = timed(cc_cmd, fresh_env(), 1)
            walls.append(w)
            cc_rss = max(cc_rss, r)
        cc_wall = min(walls)
        cc_doc = json.loads(cc_out)

        tm_cmd = [tm, "report", os.path.join(root, "projects"), "--by", "day", "--format", "json", "--tz", "UTC",
                  "--quiet"]
        tm_out, tm_wall, tm_rss, _ = timed(tm_cmd, fresh_env(), args.runs)
        tm_doc = json.loads(tm_out)

        # --source claude-code (CLAUDE_CONFIG_DIR=<root>) must give the same groups.
        src = subprocess.run([tm, "report", "--source", "claude-code", "--by", "day", "--format", "json", "--tz", "UTC",
                              "--quiet"], env=fresh_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        if src.returncode == 0:
            same = json.loads(src.stdout)["groups"] == tm_doc["groups"]
            source_note = "--source claude-code with CLAUDE_CONFIG_DIR: %s" % ("same groups" if same else "DIFFERENT groups")
        else:
            same = None
            source_note = "--source claude-code: not supported by this binary (%s)" % (
                src.stderr.decode("utf-8", "replace").strip().splitlines() or ["exit %d" % src.returncode])[0]

        tmd, ccd = tm_days(tm_doc), cc_days(cc_doc)
        print()
        print("ccusage %s: %s %s" % (ccv.split()[-1], os.path.relpath(ccbin, args.ccusage_dir), " ".join(CCUSAGE_ARGS)))
        print("tokenmaxx:  %s" % " ".join([os.path.relpath(tm, ROOT)] + tm_cmd[1:]).replace(root, "<root>"))
        print()
        diffs, days = print_table(tmd, ccd, exp)
        tt = tm_bucket(tm_doc["totals"]["usage"])
        cct = {k: sum(d[k] for d in ccd.values()) for k in BUCKETS}
        et = {k: sum(d[k] for d in exp.values()) for k in BUCKETS}
        print("-" * 120)
        for name, row, cost in (("tokenmaxx", tt, tm_doc["totals"].get("cost_usd")),
                                ("ccusage", cct, cc_doc.get("totals", {}).get("totalCost")),
                                ("expected", et, None)):
            print("%-10s  %-9s %13s %12s %14s %14s %14s %12s" % (
                "TOTAL" if name == "tokenmaxx" else "", name, *[row[k] for k in BUCKETS],
                fmt_cost(Decimal(str(cost)) if cost is not None else None)))
        if tt.get("reported_total") is not None and tt["reported_total"] != tt["total"]:
            print("note: tokenmaxx totals.usage.total = %s (sum of buckets %s)" % (tt["reported_total"], tt["total"]))

        # accounting: what tokenmaxx dropped, next to what the generator wrote
        acc = tm_doc.get("accounting", {})
        print()
        print("tokenmaxx accounting: lines %s, records %s, deduplicated %s, not billed %s, skipped %s" % (
            acc.get("lines"), acc.get("records"), json.dumps(acc.get("deduplicated", {}).get("by_reason", {})),
            json.dumps(acc.get("not_billed", {}).get("by_reason", {})), acc.get("skipped")))
        if tm_doc.get("skipped", {}).get("by_reason"):
            print("tokenmaxx skipped by reason: %s" % json.dumps(tm_doc["skipped"]["by_reason"]))
        # ccusage --mode display sums the logged costUSD of the records it keeps
        disp = subprocess.run([ccbin] + [a if a != "calculate" else "display" for a in CCUSAGE_ARGS], env=fresh_env(),
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        disp_cost = json.loads(disp.stdout).get("totals", {}).get("totalCost") if disp.returncode == 0 else None
        print("legacy costUSD of the expected records: %s; tokenmaxx reported_cost_usd: %s; ccusage --mode display: %s" % (
            legacy_cost, tm_doc["totals"].get("reported_cost_usd"), "%.8f" % disp_cost if disp_cost is not None else "-"))
        print(source_note)

        # costs per model (not fatal)
        tm_model = subprocess.run([tm, "report", os.path.join(root, "projects"), "--by", "model", "--format", "json",
                                   "--tz", "UTC", "--quiet"], env=fresh_env(), stdout=subprocess.PIPE, check=True)
        tm_models = {g_["key"]["model"]: g_ for g_ in json.loads(tm_model.stdout)["groups"]}
        cc_models = defaultdict(lambda: Decimal(0))
        cc_mtok = Counter()
        for row in cc_doc.get("daily", []):
            for b in row.get("modelBreakdowns", []):
                cc_models[b["modelName"]] += Decimal(repr(b.get("cost", 0.0)))
                cc_mtok[b["modelName"]] += sum(b.get(k, 0) for k in ("inputTokens", "outputTokens",
                                                                      "cacheCreationTokens", "cacheReadTokens"))
        print()
        print("cost by model (USD; differences are price-table differences, not fatal):")
        print("  %-28s %14s %12s %14s %12s %9s" % ("model", "tm tokens", "tm cost", "cc tokens", "cc cost", "diff"))
        for m in sorted(set(tm_models) | set(cc_models)):
            a = tm_models.get(m)
            ac = Decimal(a["cost_usd"]) if a and a.get("cost_usd") is not None else None
            at = tm_bucket(a["usage"])["total"] if a else 0
            bc = cc_models.get(m)
            pct = "%+.3f%%" % ((ac - bc) / bc * 100) if ac is not None and bc else "-"
            print("  %-28s %14s %12s %14s %12s %9s" % (m, at, fmt_cost(ac), cc_mtok.get(m, 0), fmt_cost(bc), pct))
        print("price sources:")
        print("  ccusage:   LiteLLM snapshot embedded in ccusage %s (--offline, --mode calculate), one price for every"
              " date; 1h cache writes at 2x input; >200k tier applied per bucket to the tokens above 200k only"
              % CCUSAGE_VERSION)
        print("  tokenmaxx: embedded pricing/anthropic.toml, the price row in effect on each record's day; a request"
              " whose input (uncached + cache read + cache writes) exceeds 200k is priced whole at the long-context"
              " rates; legacy costUSD kept apart as reported_cost_usd")
        print("  records over 200k input: tokenmaxx %s (expected %d)" % (
            tm_doc["totals"].get("long_context_records"), g.stats["calls_over_200k_input"]))
        for n in price_notes(sorted(tm_models), days[0] if days else args.start):
            print(n)

        print()
        print("%-10s %10s %14s   (%s; %s)" % ("tool", "wall s", "peak RSS MiB", "min wall of %d run(s)" % args.runs, rss_src))
        print("%-10s %10.3f %14.1f" % ("tokenmaxx", tm_wall, tm_rss / 1024))
        print("%-10s %10.3f %14.1f   %s" % ("ccusage", cc_wall, cc_rss / 1024,
                                           "native binary, cold parse cache" if native else "npm launcher (node + native)"))
        print("tree: %.1f MB -> tokenmaxx %.1f MB/s, ccusage %.1f MB/s" % (
            g.bytes / 1048576, g.bytes / 1048576 / tm_wall, g.bytes / 1048576 / cc_wall))
        print()
        if diffs or args.explain:
            explain(tm, root, g, fresh_env())
            print()
        if diffs:
            print("RESULT: DIFF on %d of %d day(s) (token buckets)" % (diffs, len(days)))
        else:
            print("RESULT: MATCH on all %d day(s)" % len(days))
        if same is False:
            print("RESULT: --source claude-code differs from the path run")
        return 1 if diffs or same is False else 0
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    try:
        sys.exit(main())
    except (subprocess.CalledProcessError, OSError) as e:
        die("error: %s" % e)
