#!/usr/bin/env python3
"""tokenmaxx benchmark harness: every path, with its peers side by side (issue 5).

Sections (select with --only):
  cc       usage only, Claude Code tree: `tokenmaxx report <tree>/projects --by day
           --format json --tz UTC --quiet` vs ccusage (native binary) `claude daily
           --json --offline --mode calculate --breakdown --timezone UTC`; ratio =
           ccusage wall / tokenmaxx wall (the issue's target: >= 10x, lower RSS).
  chat     usage only, OpenAI chat logs with resent history: `report FILE --format json`.
  counted  the same logs tokenized: `report FILE --usage counted --format json`,
           --threads 1 and all cores (scaling).
  text     exact counting of unique plain text: `tokenmaxx count --encoding E FILE
           --threads 1` for o200k_base and cl100k_base; peers on the same file and
           chunks: Python tiktoken (offline, rank files from the tiktoken-rs crate)
           and tiktoken-rs / bpe-openai / the tokenmaxx engine through
           benches/count_engines.rs. All engines must agree on the token count
           (a mismatch is printed loudly and the exit status is 1).
  rss      (--rss-scale) peak RSS of `report` and `report --usage counted` on chat
           corpora of --chat-mb and 4x that.

Corpora are deterministic (seeded) and cached under target/bench/ (see corpus.py).
Timing: the minimum wall time over --runs runs of a warm page cache; peak RSS is
the maximum over the runs, from `/usr/bin/time -v` (per-process wait4 rusage
when /usr/bin/time is missing). MB = 10^6 bytes of input. Speed is measured
here, never asserted in tests.

Usage:
  python3 benches/bench.py                       # defaults: text 20, chat 100, cc 200 MiB; 3 runs
  python3 benches/bench.py --quick               # small corpora, 1 run: a smoke run
  python3 benches/bench.py --only text,cc --runs 5 --json target/bench/result.json
  python3 benches/bench.py --rss-scale --only rss

Exit status: 0 ok; 1 engines disagree on a token count (or a tokenmaxx run
differs between thread counts); 2 setup error (no tokenmaxx binary, a tokenmaxx
run failed). A peer that cannot be installed or built is skipped with a message.
"""
import argparse
import datetime as dt
import glob
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
sys.dont_write_bytecode = True

import corpus  # noqa: E402
import ccusage_compare as ccc  # noqa: E402

CACHE = os.path.join(os.path.expanduser("~"), ".cache", "tokenmaxx-bench")
TIKTOKEN_PY_VERSION = "0.12.0"
ENCODINGS = ["o200k_base", "cl100k_base"]
CC_TARGET = 6  # issue 17: >= 6x ccusage (ambition 10x)
SECTIONS = ["cc", "chat", "counted", "text", "usertok", "rss"]
GNU_TIME = os.access("/usr/bin/time", os.X_OK)


def log(msg):
    print(msg, file=sys.stderr, flush=True)


class SetupError(Exception):
    pass


# --------------------------------------------------------------------------
# running and timing
# --------------------------------------------------------------------------

def run_once(cmd, env=None, cwd=None):
    """One run: (returncode, stdout bytes, stderr bytes, wall s, peak RSS KiB)."""
    with tempfile.NamedTemporaryFile("r", suffix=".time") as tf:
        full = (["/usr/bin/time", "-v", "-o", tf.name] + cmd) if GNU_TIME else cmd
        with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
            t0 = time.perf_counter()
            p = subprocess.Popen(full, env=env, cwd=cwd, stdout=out, stderr=err)
            _, status, usage = os.wait4(p.pid, 0)
            wall = time.perf_counter() - t0
            p.returncode = os.waitstatus_to_exitcode(status)
            out.seek(0)
            err.seek(0)
            so, se = out.read(), err.read()
        rss = usage.ru_maxrss
        if GNU_TIME:
            for line in tf.read().splitlines():
                if "Maximum resident set size" in line:
                    rss = int(line.rsplit(":", 1)[1])
            # /usr/bin/time reports "Command exited with non-zero status N" in its own file
    return p.returncode, so, se, wall, rss


def timed(cmd, runs, env=None, env_factory=None, cwd=None):
    """Run `runs` times. Returns dict(wall=min, walls, rss_kib=max, stdout=last) or raises."""
    walls, rss, out, err = [], 0, b"", b""
    for _ in range(runs):
        e = env_factory() if env_factory else env
        rc, out, err, wall, r = run_once(cmd, e, cwd)
        if rc != 0:
            raise RuntimeError("%s exited %d: %s" % (" ".join(cmd), rc,
                                                      err.decode("utf-8", "replace").strip()[-800:]))
        walls.append(wall)
        rss = max(rss, r)
    return {"wall": min(walls), "walls": [round(w, 4) for w in walls], "rss_kib": rss, "stdout": out, "stderr": err}


def prewarm(paths):
    """Read the input once so every tool starts from the same warm page cache."""
    for p in paths:
        if os.path.isdir(p):
            for d, _, fs in os.walk(p):
                for f in fs:
                    with open(os.path.join(d, f), "rb") as fh:
                        while fh.read(1 << 20):
                            pass
        else:
            with open(p, "rb") as fh:
                while fh.read(1 << 20):
                    pass


def tree_bytes(root):
    n = files = 0
    for d, _, fs in os.walk(root):
        for f in fs:
            n += os.path.getsize(os.path.join(d, f))
            files += 1
    return n, files


# --------------------------------------------------------------------------
# tools
# --------------------------------------------------------------------------

def sh(cmd, **kw):
    try:
        return subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, **kw).stdout.decode().strip()
    except OSError:
        return ""


def tokenmaxx_binary(args):
    """Copy the release binary to target/bench/bin so a concurrent rebuild cannot change it mid-run."""
    src = os.path.abspath(args.bin)
    if args.build or not os.path.exists(src):
        if os.path.abspath(args.bin) != ccc.DEFAULT_BIN:
            raise SetupError("--bin %s does not exist" % args.bin)
        log("building tokenmaxx (cargo build --release)")
        if subprocess.run(["cargo", "build", "--release"], cwd=ROOT).returncode != 0:
            raise SetupError("cargo build --release failed")
    dst_dir = os.path.join(args.bench_dir, "bin")
    os.makedirs(dst_dir, exist_ok=True)
    dst = os.path.join(dst_dir, "tokenmaxx")
    shutil.copy2(src, dst + ".tmp")
    os.replace(dst + ".tmp", dst)
    return src, dst


def lock_version(name):
    try:
        with open(os.path.join(ROOT, "Cargo.lock")) as f:
            lines = f.read().splitlines()
    except OSError:
        return None
    for i, line in enumerate(lines):
        if line == 'name = "%s"' % name and i + 1 < len(lines) and lines[i + 1].startswith("version = "):
            return lines[i + 1].split('"')[1]
    return None


def tiktoken_assets():
    ver = lock_version("tiktoken-rs") or "*"
    home = os.environ.get("CARGO_HOME", os.path.join(os.path.expanduser("~"), ".cargo"))
    hits = sorted(glob.glob(os.path.join(home, "registry", "src", "*", "tiktoken-rs-%s" % ver, "assets")))
    if not hits:
        subprocess.run(["cargo", "fetch"], cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        hits = sorted(glob.glob(os.path.join(home, "registry", "src", "*", "tiktoken-rs-%s" % ver, "assets")))
    return hits[-1] if hits else None


def ensure_tiktoken_py(venv):
    """The venv python with tiktoken==TIKTOKEN_PY_VERSION (created/installed once). Returns (python, version)."""
    py = os.path.join(venv, "bin", "python")
    probe = [py, "-c", "import importlib.metadata as m; print(m.version('tiktoken'))"]
    ver = sh(probe) if os.path.exists(py) else ""
    if ver != TIKTOKEN_PY_VERSION:
        if not os.path.exists(py):
            log("creating venv %s" % venv)
            r = subprocess.run([sys.executable, "-m", "venv", venv], stdout=sys.stderr, stderr=sys.stderr)
            if r.returncode != 0:
                raise RuntimeError("python3 -m venv failed")
        log("installing tiktoken==%s into %s" % (TIKTOKEN_PY_VERSION, venv))
        r = subprocess.run([py, "-m", "pip", "install", "-q", "tiktoken==" + TIKTOKEN_PY_VERSION],
                           stdout=sys.stderr, stderr=sys.stderr)
        if r.returncode != 0:
            raise RuntimeError("pip install tiktoken==%s failed" % TIKTOKEN_PY_VERSION)
        ver = sh(probe)
    return py, ver


def find_count_engines(args):
    """Path of the count_engines bench executable, or (None, reason)."""
    if args.count_engines:
        return (args.count_engines, None) if os.access(args.count_engines, os.X_OK) else (
            None, "--count-engines %s is not executable" % args.count_engines)
    if args.no_count_engines:
        return None, "--no-count-engines"
    return find_bench_exe(args, "count_engines")


def find_bench_exe(args, name):
    """Path of the benches/<name>.rs executable (built with cargo), or (None, reason)."""
    if not os.path.exists(os.path.join(HERE, name + ".rs")):
        return None, "benches/%s.rs does not exist" % name
    copy = os.path.join(args.bench_dir, "bin", name)
    log("building %s (cargo bench --bench %s --no-run; may wait for the build lock)" % (name, name))
    p = subprocess.run(["cargo", "bench", "--bench", name, "--no-run", "--message-format=json"],
                       cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    exe = None
    for line in p.stdout.decode("utf-8", "replace").splitlines():
        try:
            m = json.loads(line)
        except ValueError:
            continue
        if m.get("reason") == "compiler-artifact" and m.get("target", {}).get("name") == name \
                and m.get("executable"):
            exe = m["executable"]
    if p.returncode != 0 or not exe:
        tail = [ln for ln in p.stderr.decode("utf-8", "replace").splitlines() if ln.strip()][-6:]
        errs = [ln.strip() for ln in tail if ln.lstrip().startswith("error")]
        why = "cargo bench --bench %s --no-run failed (exit %d): %s" % (
            name, p.returncode, (errs[-1] if errs else " | ".join(tail)) or "no executable in its output")
        # The tree may be mid-edit (others build in the same target dir): fall back to the
        # copy of the last build that worked, and say so.
        exe = copy
        if not os.access(exe, os.X_OK):
            return None, why
        log("warning: %s; using the earlier build %s" % (why, exe))
        built = dt.datetime.fromtimestamp(os.path.getmtime(exe), dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        return exe, None, "STALE %s build from %s (the current tree did not build: %s)" % (name, built, why[:300])
    # A private copy: a concurrent rebuild cannot swap it mid-run, and it is the fallback above.
    os.makedirs(os.path.dirname(copy), exist_ok=True)
    shutil.copy2(exe, copy + ".tmp")
    os.replace(copy + ".tmp", copy)
    return copy, None


def loadavg():
    try:
        with open("/proc/loadavg") as f:
            return [float(x) for x in f.read().split()[:3]]
    except (OSError, ValueError):
        return None


def machine_facts(args, tm_src, tm_bin):
    cpu = "?"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    mem = None
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemTotal:"):
                    mem = int(line.split()[1]) / 1048576
    except OSError:
        pass
    head = sh(["git", "rev-parse", "--short=12", "HEAD"], cwd=ROOT)
    dirty = bool(sh(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT))
    head_time = sh(["git", "log", "-1", "--format=%cI"], cwd=ROOT)
    mtime = dt.datetime.fromtimestamp(os.path.getmtime(tm_src), dt.timezone.utc)
    return {
        "date": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "nproc": int(sh(["nproc"]) or os.cpu_count() or 0),
        "cpu_model": cpu,
        "ram_gib": round(mem, 1) if mem else None,
        "kernel": platform.release(),
        "tokenmaxx_version": sh([tm_bin, "--version"]),
        "tokenmaxx_commit": head + ("-dirty" if dirty else ""),
        "tokenmaxx_commit_time": head_time,
        "tokenmaxx_binary": tm_src,
        "tokenmaxx_binary_mtime": mtime.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "rustc": sh(["rustc", "--version"]),
        "python": platform.python_version(),
        "node": sh(["node", "--version"]),
        "rss_source": "/usr/bin/time -v" if GNU_TIME else "wait4 rusage of the child",
        "crates": {n: lock_version(n) for n in ("tiktoken-rs", "bpe-openai", "bpe")},
        "loadavg_start": loadavg(),
    }


# --------------------------------------------------------------------------
# table output
# --------------------------------------------------------------------------

COLS = [("tool", 0, "<"), ("thr", 3, ">"), ("input MB", 9, ">"), ("wall s", 8, ">"), ("MB/s", 8, ">"),
        ("records/s", 10, ">"), ("RSS MiB", 8, ">"), ("ratio vs peer / notes", None, "<")]


def fmt_row(cells, tool_w):
    out = []
    for (name, w, al), c in zip(COLS, cells):
        w = tool_w if w == 0 else w
        out.append(c if w is None else ("%-*s" if al == "<" else "%*s") % (w, c))
    return "  ".join(out).rstrip()


def print_table(title, rows, notes):
    print()
    print("== " + title)
    tool_w = max([len(r["tool"]) for r in rows] + [24])
    hdr = fmt_row([c[0] for c in COLS], tool_w)
    print(hdr)
    print("-" * max(len(hdr), 110))
    for r in rows:
        if r.get("skipped"):
            print(fmt_row([r["tool"], "", "", "", "", "", "", "SKIPPED: " + r["skipped"]], tool_w))
            continue
        print(fmt_row([
            r["tool"], r.get("threads", "-"), "%.1f" % (r["bytes"] / 1e6),
            "%.3f" % r["wall_s"], "%.1f" % r["mb_per_s"],
            "{:,.0f}".format(r["records_per_s"]) if r.get("records_per_s") is not None else "-",
            "%.1f" % r["rss_mib"] if r.get("rss_mib") is not None else "-", r.get("ratio", ""),
        ], tool_w))
    for n in notes:
        print("  " + n)


def row(tool, threads, nbytes, wall, rss_kib, records=None, **extra):
    r = {"tool": tool, "threads": threads, "bytes": nbytes, "wall_s": round(wall, 4),
         "mb_per_s": round(nbytes / 1e6 / wall, 2) if wall > 0 else None,
         "records": records, "records_per_s": round(records / wall, 1) if records and wall > 0 else None,
         "rss_mib": round(rss_kib / 1024, 1) if rss_kib is not None else None}
    r.update(extra)
    return r


def usage_total(u):
    return u["input"] + u["output"] + u["cache_read"] + u["cache_write_5m"] + u["cache_write_1h"]


# --------------------------------------------------------------------------
# sections
# --------------------------------------------------------------------------

class Bench:
    def __init__(self, args, tm, facts):
        self.a = args
        self.tm = tm
        self.facts = facts
        self.nproc = facts["nproc"] or 1
        self.results = {"facts": facts, "corpora": {}, "sections": {}}
        self.problems = []    # mismatches: exit 1
        self.skipped = []
        self.tmp = tempfile.mkdtemp(prefix="tokenmaxx-bench-")

    def prepare_peers(self, only):
        """Install / find the peers before the header is printed (it names their versions)."""
        a = self.a
        self.cc = self.py = self.assets = self.engines_exe = None
        if "cc" in only:
            try:
                launcher, native, ccv = ccc.ensure_ccusage(a.ccusage_dir)
                self.cc = (native or launcher, ccv.split()[-1], bool(native))
                self.facts["ccusage"] = "%s (%s)" % (self.cc[1], "native linux-x64 binary" if native else "npm launcher")
            except (SystemExit, OSError, subprocess.CalledProcessError) as e:
                self.cc_reason = "ccusage %s did not install/run (%s)" % (ccc.CCUSAGE_VERSION, e)
                self.skipped.append("ccusage: " + self.cc_reason)
        if "text" not in only:
            return
        found = find_count_engines(a)
        self.engines_exe, reason = found[:2]
        if len(found) > 2:
            self.facts["count_engines_note"] = found[2]
        if reason:
            self.skipped.append("tiktoken-rs / bpe-openai (count_engines): " + reason)
        else:
            self.facts["count_engines"] = self.engines_exe
        reason = None
        if a.no_tiktoken_py:
            reason = "--no-tiktoken-py"
        else:
            self.assets = tiktoken_assets()
            if not self.assets:
                reason = "tiktoken-rs assets not found under ~/.cargo/registry/src (cargo fetch failed?)"
            else:
                try:
                    self.py, self.facts["tiktoken_py"] = ensure_tiktoken_py(a.venv)
                except (RuntimeError, OSError) as e:
                    reason = str(e)
        if reason:
            self.skipped.append("Python tiktoken: " + reason)

    def corpus(self, kind, mb):
        path, meta = corpus.cached_corpus(kind, mb, bench_dir=self.a.bench_dir)
        self.results["corpora"]["%s-%g" % (kind, mb)] = dict(meta, path=path)
        return path, meta

    def tm_report(self, label, args, runs, nbytes, env=None, env_factory=None):
        r = timed([self.tm, "report"] + args, runs, env=env, env_factory=env_factory)
        doc = json.loads(r["stdout"])
        acc = doc.get("accounting", {})
        recs = acc.get("records", doc["totals"].get("records"))
        threads = next((int(args[i + 1]) for i, x in enumerate(args[:-1]) if x == "--threads"), self.nproc)
        out = row(label, threads, nbytes, r["wall"], r["rss_kib"], recs, walls=r["walls"],
                  cmd="tokenmaxx report " + " ".join(args),
                  total_tokens=usage_total(doc["totals"]["usage"]), cost_usd=doc["totals"].get("cost_usd"))
        return out, doc

    # -- Claude Code tree -----------------------------------------------------
    def sec_cc(self):
        a = self.a
        root, meta = self.corpus("cc", a.cc_mb)
        projects = os.path.join(root, "projects")
        nbytes, files = tree_bytes(projects)
        prewarm([projects])
        home = os.path.join(self.tmp, "home")

        def fresh_env():  # ccusage keeps a parse cache under HOME: every run starts cold
            shutil.rmtree(home, ignore_errors=True)
            os.makedirs(home)
            return ccc.tool_env(root, home)

        rows, notes = [], []
        base = [projects, "--by", "day", "--format", "json", "--tz", "UTC", "--quiet"]
        log("cc: tokenmaxx report (%d threads, then 1)" % self.nproc)
        tm_all, doc = self.tm_report("tokenmaxx report --by day", base, a.runs, nbytes, env_factory=fresh_env)
        tm_one, _ = self.tm_report("tokenmaxx report --by day", base + ["--threads", "1"], a.runs, nbytes,
                                   env_factory=fresh_env)
        rows += [tm_all, tm_one]
        recs = tm_all["records"]
        cc_row = None
        if self.cc is None:
            cc_row = {"tool": "ccusage claude daily", "skipped": self.cc_reason}
        else:
            ccbin, ccver, native = self.cc
            cmd = [ccbin, "claude", "daily", "--json", "--offline", "--mode", "calculate", "--breakdown",
                   "--timezone", "UTC"]
            log("cc: ccusage %s" % " ".join(cmd[1:]))
            try:
                r = timed(cmd, a.runs, env_factory=fresh_env)
                cdoc = json.loads(r["stdout"])
                t = cdoc.get("totals", {})
                cc_total = t.get("totalTokens", sum(t.get(k, 0) for k in (
                    "inputTokens", "outputTokens", "cacheCreationTokens", "cacheReadTokens")))
                cc_row = row("ccusage %s claude daily" % ccver, "-", nbytes, r["wall"], r["rss_kib"], recs,
                             walls=r["walls"], cmd=" ".join(["ccusage"] + cmd[1:]), total_tokens=cc_total,
                             cost_usd=t.get("totalCost"))
                exp = meta.get("expected_total_tokens")
                same = cc_total == tm_all["total_tokens"] == (exp if exp is not None else cc_total)
                notes.append("token totals: tokenmaxx %s, ccusage %s, generator expects %s: %s" % (
                    "{:,}".format(tm_all["total_tokens"]), "{:,}".format(cc_total),
                    "{:,}".format(exp) if exp is not None else "?",
                    "agree" if same else "DIFFER (run benches/ccusage_compare.py --mb %g to see where)" % a.cc_mb))
            except (RuntimeError, ValueError) as e:
                cc_row = {"tool": "ccusage claude daily", "skipped": str(e)[:300]}
                self.skipped.append("ccusage: " + cc_row["skipped"])
        rows.append(cc_row)
        # The floor (read the files, split lines) and the ceiling (read and check every line as
        # the run reads it, nothing billed or summed), on all threads.
        found = find_bench_exe(a, "cc_ceiling")
        if found[1]:
            self.skipped.append("cc floor/ceiling (cc_ceiling): " + found[1])
        else:
            for mode, label in (("read", "floor: read files + split lines"),
                                ("parse", "ceiling: read + check every line (the run's line reader)")):
                cmd = [found[0], "--mode", mode, "--threads", str(self.nproc), projects]
                r = timed(cmd, a.runs)
                out = json.loads(r["stdout"])
                if out.get("rejected"):
                    notes.append("cc_ceiling rejected %d lines" % out["rejected"])
                rows.append(row(label, self.nproc, nbytes, r["wall"], r["rss_kib"], None, walls=r["walls"],
                                cmd="benches/cc_ceiling.rs " + " ".join(cmd[1:]), ratio="(bound)"))
        if not cc_row.get("skipped"):
            for r in (tm_all, tm_one):
                ratio = cc_row["wall_s"] / r["wall_s"]
                r["ratio_vs_ccusage"] = round(ratio, 3)
                r["ratio"] = "ccusage/tokenmaxx %.2fx (target >= %gx: %s); RSS %.1f vs %.1f MiB: %s" % (
                    ratio, CC_TARGET, "met" if ratio >= CC_TARGET else "NOT met", r["rss_mib"], cc_row["rss_mib"],
                    "lower" if r["rss_mib"] < cc_row["rss_mib"] else "NOT lower")
            cc_row["ratio"] = "(peer)"
            for r in rows:
                if r.get("ratio") == "(bound)":
                    r["ratio"] = "ccusage/this %.2fx (bound, not a tool)" % (cc_row["wall_s"] / r["wall_s"])
        notes.insert(0, "input: %s: %d files, %.1f MB; records/s for every tool use tokenmaxx's billed record count"
                        " (%s records after dedup)" % (os.path.relpath(root, ROOT), files, nbytes / 1e6,
                                                        "{:,}".format(recs or 0)))
        notes.append("ratio = ccusage wall / tokenmaxx wall on the same tree (fresh HOME per run; ccusage cold parse cache)")
        self.emit("cc", "Claude Code tree, usage only (report --by day vs ccusage claude daily --offline)", rows, notes)

    # -- chat logs, usage only ------------------------------------------------
    def sec_chat(self):
        a = self.a
        path, meta = self.corpus("chat", a.chat_mb)
        nbytes = os.path.getsize(path)
        prewarm([path])
        base = [path, "--format", "json", "--quiet"]
        log("chat: tokenmaxx report (usage only)")
        r_all, _ = self.tm_report("tokenmaxx report", base, a.runs, nbytes)
        r_one, _ = self.tm_report("tokenmaxx report", base + ["--threads", "1"], a.runs, nbytes)
        r_all["ratio"] = "%.2fx vs 1 thread" % (r_one["wall_s"] / r_all["wall_s"])
        notes = ["input: %s: %s records in %s conversations (~%s requests each, history resent), %.1f MB" % (
            os.path.relpath(path, ROOT), "{:,}".format(meta["records"]), meta["conversations"],
            meta["requests_per_conversation"], nbytes / 1e6), "no peer for this path"]
        self.emit("chat", "OpenAI chat logs, usage only (report, reported usage)", [r_all, r_one], notes)

    # -- chat logs, counted ---------------------------------------------------
    def sec_counted(self):
        a = self.a
        path, meta = self.corpus("chat", a.chat_mb)
        nbytes = os.path.getsize(path)
        prewarm([path])
        base = [path, "--usage", "counted", "--format", "json", "--quiet"]
        log("counted: tokenmaxx report --usage counted (1 thread, then %d)" % self.nproc)
        r_one, d1 = self.tm_report("tokenmaxx report --usage counted", base + ["--threads", "1"], a.runs, nbytes)
        r_all, dn = self.tm_report("tokenmaxx report --usage counted", base + ["--threads", str(self.nproc)],
                                   a.runs, nbytes)
        r_all["ratio"] = "%.2fx vs 1 thread" % (r_one["wall_s"] / r_all["wall_s"])
        notes = ["input: %s (%s records, each request resends its conversation's history)" % (
            os.path.relpath(path, ROOT), "{:,}".format(meta["records"]))]
        if d1["totals"] != dn["totals"]:
            self.problems.append("report --usage counted: totals differ between --threads 1 and --threads %d"
                                 % self.nproc)
            notes.append("MISMATCH: totals differ between --threads 1 and --threads %d" % self.nproc)
        else:
            notes.append("counted tokens (input+output): %s, identical for 1 and %d threads" % (
                "{:,}".format(r_one["total_tokens"]), self.nproc))
        self.emit("counted", "OpenAI chat logs with resent history, every prompt and response tokenized "
                             "(report --usage counted)", [r_one, r_all], notes)

    # -- plain text, exact counting ---------------------------------------------
    def sec_text(self):
        a = self.a
        path, meta = self.corpus("text", a.text_mb)
        nbytes = os.path.getsize(path)
        prewarm([path])
        with open(path, "rb") as f:
            n_chunks = len(corpus.split_chunks(f.read()))
        tiny = os.path.join(self.tmp, "tiny.txt")
        with open(tiny, "w") as f:
            f.write("hello world\n")

        engines_exe, py, assets = self.engines_exe, self.py, self.assets
        passes = a.runs + 1 if a.runs > 1 else 2  # pass 1 is cold; keep the best warm pass

        all_rows, notes = [], []
        notes.append("input: %s: %.1f MB, %s paragraphs, %d chunks (<= 64 KiB, split after a blank line); "
                     "distinct lines %.1f%%, distinct words %.1f%%, distinct word 8-grams %.1f%%, non-ASCII bytes %.0f%%" % (
                         os.path.relpath(path, ROOT), nbytes / 1e6, "{:,}".format(meta["paragraphs"]), n_chunks,
                         100 * meta["distinct_line_share"], 100 * meta["distinct_word_share"],
                         100 * meta["distinct_8gram_share"], 100 * meta["non_ascii_byte_share"]))
        for enc in ENCODINGS:
            log("text: %s" % enc)
            rows = []
            r = timed([self.tm, "count", "--encoding", enc, path, "--threads", "1", "--format", "json"], a.runs)
            tokens = json.loads(r["stdout"])["total_tokens"]
            st = timed([self.tm, "count", "--encoding", enc, tiny, "--threads", "1"], max(3, a.runs))
            net = max(1e-6, r["wall"] - st["wall"])
            cli = row("tokenmaxx count (CLI, whole file)", 1, nbytes, r["wall"], r["rss_kib"], None,
                      encoding=enc, tokens=tokens, walls=r["walls"], startup_s=round(st["wall"], 4),
                      net_mb_per_s=round(nbytes / 1e6 / net, 2),
                      cmd="tokenmaxx count --encoding %s FILE --threads 1" % enc)
            cli["ratio"] = "wall incl. start+load %.3fs (1-line file); net %.1f MB/s" % (st["wall"], cli["net_mb_per_s"])
            rows.append(cli)
            if engines_exe:
                for eng in ("tokenmaxx", "bpe-openai", "tiktoken-rs"):
                    rows.append(self.count_engine_row(engines_exe, eng, enc, path, nbytes, passes))
            if py:
                rows.append(self.tiktoken_py_row(py, assets, enc, path, nbytes, a.runs))
            # the tokenmaxx figure peers are compared with: the engine through the same
            # harness when count_engines is there, else the CLI net of start-up
            ref = next((x for x in rows if x.get("engine") == "tokenmaxx" and not x.get("skipped")), None)
            ref_mbps, ref_name = (ref["mb_per_s"], "count_engines tokenmaxx") if ref else (
                cli["net_mb_per_s"], "tokenmaxx CLI net of start-up")
            for x in rows:
                if x.get("skipped") or x is cli or x is ref:
                    continue
                x["ratio_tokenmaxx_vs_peer"] = round(ref_mbps / x["mb_per_s"], 3)
                x["ratio"] = "tokenmaxx %.2fx faster" % x["ratio_tokenmaxx_vs_peer"] if ref_mbps >= x["mb_per_s"] \
                    else "tokenmaxx %.2fx SLOWER" % (x["mb_per_s"] / ref_mbps)
                if x.get("load_s") is not None:
                    x["ratio"] += "; load %.2fs excluded" % x["load_s"]
            if ref:
                ref["ratio"] = "(reference for the ratios)"
            counts = {x["tool"]: x["tokens"] for x in rows if not x.get("skipped")}
            if len(set(counts.values())) > 1:
                msg = "TOKEN COUNT MISMATCH for %s: %s" % (enc, ", ".join("%s %s" % (k, "{:,}".format(v))
                                                                        for k, v in counts.items()))
                self.problems.append(msg)
                notes.append("!!! " + msg)
            else:
                notes.append("%s: all %d engines agree: %s tokens (%.2f bytes/token)" % (
                    enc, len(counts), "{:,}".format(tokens), nbytes / max(1, tokens)))
            for x in rows:
                x["tool"] = "%s %s" % (enc, x["tool"])
            all_rows += rows
        if self.facts.get("count_engines_note"):
            notes.append("warning: " + self.facts["count_engines_note"])
        notes.append("ratio = tokenmaxx MB/s / peer MB/s, counting only (ratios use %s)" % (
            "count_engines tokenmaxx" if engines_exe else "tokenmaxx CLI net of start-up: wall minus the wall of "
                                                         "counting a 1-line file"))
        notes.append("count_engines / tiktoken-py rows: best warm pass of %d (pass 1 cold), chunks counted one by "
                     "one on 1 thread; RSS is the whole process" % passes if engines_exe else
                     "tiktoken-py rows: best of %d passes, chunks counted one by one on 1 thread; RSS is the whole "
                     "process" % a.runs)
        self.emit("text", "Exact token counting, unique plain text, 1 thread", all_rows, notes)

    def count_engine_row(self, exe, eng, enc, path, nbytes, passes):
        label = "%s (count_engines)" % eng
        try:
            r = timed([exe, "--engine", eng, "--encoding", enc, "--threads", "1", "--passes", str(passes), path], 1)
        except RuntimeError as e:
            return {"tool": label, "skipped": str(e)[:300]}
        ps = []
        for line in r["stdout"].decode("utf-8", "replace").splitlines():
            try:
                o = json.loads(line)
            except ValueError:
                continue
            if isinstance(o, dict) and "pass" in o:
                ps.append(o)
        if not ps:
            return {"tool": label, "skipped": "no pass lines in its output"}
        warm = [p for p in ps if p["pass"] > 1] or ps
        best = min(warm, key=lambda p: p["seconds"])
        toks = {p["tokens"] for p in ps}
        m = re.search(r"loaded in ([0-9.]+)s", r["stderr"].decode("utf-8", "replace"))
        load = float(m.group(1)) if m else max(0.0, r["wall"] - sum(p["seconds"] for p in ps))
        x = row(label, 1, nbytes, best["seconds"], r["rss_kib"], None, engine=eng, encoding=enc,
                tokens=best["tokens"], passes=[round(p["seconds"], 6) for p in ps], process_wall_s=round(r["wall"], 3),
                load_s=round(load, 3), errors=max(p.get("errors", 0) for p in ps))
        if best.get("bytes") not in (None, nbytes):
            x["tool"] += " [bytes %s?]" % best["bytes"]
        if x["errors"]:
            x["tool"] += " [%d chunk errors]" % x["errors"]
            self.problems.append("%s %s: the engine failed on %d chunk(s) (their tokens are missing)" % (
                eng, enc, x["errors"]))
        if len(toks) > 1:
            self.problems.append("%s %s: token count differs between passes: %s" % (eng, enc, sorted(toks)))
        return x

    def tiktoken_py_row(self, py, assets, enc, path, nbytes, runs):
        label = "tiktoken %s (Python)" % self.facts.get("tiktoken_py", "?")
        try:
            r = timed([py, os.path.join(HERE, "tiktoken_peer.py"), "--encoding", enc, "--assets", assets,
                       "--passes", str(runs), path], 1)
        except RuntimeError as e:
            return {"tool": label, "skipped": str(e)[:300]}
        ps, load = [], {}
        for line in r["stdout"].decode().splitlines():
            o = json.loads(line)
            if o.get("event") == "load":
                load = o
            else:
                ps.append(o)
        best = min(ps, key=lambda p: p["seconds"])
        return row(label, 1, nbytes, best["seconds"], r["rss_kib"], None, engine="tiktoken-py", encoding=enc,
                   tokens=best["tokens"], passes=[p["seconds"] for p in ps], load_s=load.get("load_seconds"),
                   rank_file=load.get("rank_file"), rank_sha256_checked=load.get("hash_checked"))

    # -- user tokenizers (tokenizer.json) against Hugging Face's library ---------
    def sec_usertok(self):
        """tokenmaxx count --tokenizer FILE beside Python `tokenizers` on the
        unique-text corpus, 1 thread, for each family scripts/fetch-tokenizers.sh
        fetches (it also makes the venv with the library)."""
        a = self.a
        try:
            env = subprocess.run(["bash", os.path.join(ROOT, "scripts", "fetch-tokenizers.sh")],
                                 capture_output=True, cwd=ROOT, check=True).stdout.decode()
        except Exception as e:  # noqa: BLE001
            self.emit("usertok", "Tokenizer files, 1 thread", [{"tool": "fetch", "skipped": str(e)[:300]}], [])
            return
        vals = dict(l.split("=", 1) for l in env.replace("export ", "").split() if "=" in l)
        hf_dir, py = vals["TOKENMAXX_HF_TOKENIZERS"].strip("'"), vals["TOKENMAXX_HF_PYTHON"].strip("'")
        path, _ = self.corpus("text", a.text_mb)
        nbytes = os.path.getsize(path)
        prewarm([path])
        tiny = os.path.join(self.tmp, "tiny.txt")
        with open(tiny, "w") as f:
            f.write("hello world\n")
        rows, notes = [], []
        for family in ("llama3", "qwen3", "deepseek_v3", "gemma3"):
            tokfile = os.path.join(hf_dir, family, "tokenizer.json")
            log("usertok: %s" % family)
            r = timed([self.tm, "count", "--tokenizer", tokfile, path, "--threads", "1", "--format", "json"], a.runs)
            tokens = json.loads(r["stdout"])["total_tokens"]
            st = timed([self.tm, "count", "--tokenizer", tokfile, tiny, "--threads", "1"], max(3, a.runs))
            net = max(1e-6, r["wall"] - st["wall"])
            tm_row = row("%s tokenmaxx count --tokenizer (net of load)" % family, 1, nbytes, net, r["rss_kib"], None,
                         tokens=tokens, load_s=round(st["wall"], 3), wall_incl_load=round(r["wall"], 3))
            p = timed([py, os.path.join(HERE, "hf_peer.py"), "--tokenizer", tokfile, "--passes", str(a.runs), path], 1)
            passes = [json.loads(l) for l in p["stdout"].decode().splitlines()]
            load = next(x for x in passes if x.get("event") == "load")
            best = min((x for x in passes if "pass" in x), key=lambda x: x["seconds"])
            hf_row = row("%s tokenizers %s (Python, Rust core)" % (family, load["version"]), 1, nbytes,
                         best["seconds"], p["rss_kib"], None, tokens=best["tokens"], load_s=load["load_seconds"])
            ratio = hf_row["wall_s"] / tm_row["wall_s"] if tm_row["wall_s"] else 0
            tm_row["ratio"] = "load %.2fs; %.2fx %s" % (st["wall"], ratio if ratio >= 1 else 1 / ratio,
                                                        "faster" if ratio >= 1 else "SLOWER")
            hf_row["ratio"] = "load %.2fs excluded" % load["load_seconds"]
            if tokens != best["tokens"]:
                msg = "TOKEN COUNT MISMATCH for %s: tokenmaxx %d, tokenizers %d" % (family, tokens, best["tokens"])
                self.problems.append(msg)
                notes.append("!!! " + msg)
            rows += [tm_row, hf_row]
        notes.append("input: %s (%.1f MB); tokenizers counts 64 KiB chunks one by one, tokenmaxx the whole file "
                     "(same totals: chunks end after a blank line)" % (os.path.relpath(path, ROOT), nbytes / 1e6))
        self.emit("usertok", "Tokenizer files (tokenizer.json), 1 thread", rows, notes)

    # -- RSS flatness -----------------------------------------------------------
    def sec_rss(self):
        a = self.a
        rows = []
        for mb in (a.chat_mb, 4 * a.chat_mb):
            path, meta = self.corpus("chat", mb)
            nbytes = os.path.getsize(path)
            prewarm([path])
            log("rss: %g MiB corpus" % mb)
            r1, _ = self.tm_report("tokenmaxx report", [path, "--format", "json", "--quiet"], a.runs, nbytes)
            r2, _ = self.tm_report("tokenmaxx report --usage counted",
                                   [path, "--usage", "counted", "--format", "json", "--quiet"], a.runs, nbytes)
            rows += [r1, r2]
        for small, big in ((rows[0], rows[2]), (rows[1], rows[3])):
            big["ratio"] = "RSS %.1f -> %.1f MiB at 4x input (%+.0f%%)" % (
                small["rss_mib"], big["rss_mib"], 100 * (big["rss_mib"] / small["rss_mib"] - 1))
        self.emit("rss", "Peak RSS vs input size (chat logs, %g MiB and %g MiB)" % (a.chat_mb, 4 * a.chat_mb), rows,
                  ["peak RSS should stay flat as the input grows (streaming)"])

    def emit(self, key, title, rows, notes):
        self.results["sections"][key] = {"title": title, "rows": rows, "notes": notes}
        print_table(title, rows, notes)
        sys.stdout.flush()


def print_header(facts, args):
    f = facts
    print("tokenmaxx bench, %s" % f["date"])
    print("machine:   %s cores (nproc), %s, %s GiB RAM, Linux %s" % (f["nproc"], f["cpu_model"], f["ram_gib"], f["kernel"]))
    print("tokenmaxx: %s, commit %s (%s), binary %s built %s" % (
        f["tokenmaxx_version"], f["tokenmaxx_commit"], f["tokenmaxx_commit_time"],
        os.path.relpath(f["tokenmaxx_binary"], ROOT), f["tokenmaxx_binary_mtime"]))
    print("toolchain: %s; Python %s; node %s; crates: %s" % (
        f["rustc"], f["python"], f["node"], ", ".join("%s %s" % kv for kv in f["crates"].items())))
    print("peers:     ccusage %s; Python tiktoken %s (rank files: tiktoken-rs assets, offline); "
          "tiktoken-rs %s and bpe-openai %s via %s" % (
              f.get("ccusage", "not run"), f.get("tiktoken_py", "not run"), f["crates"]["tiktoken-rs"],
              f["crates"]["bpe-openai"], "benches/count_engines.rs (built %s)" % dt.datetime.fromtimestamp(
                  os.path.getmtime(f["count_engines"]), dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
              if f.get("count_engines") else "count_engines (not available)"))
    if f.get("count_engines_note"):
        print("warning:   " + f["count_engines_note"])
    la = f.get("loadavg_start")
    if la:
        print("load:      %.2f %.2f %.2f (1/5/15 min) at start%s" % (
            la[0], la[1], la[2], "  <- other work is running: figures are noisy" if la[0] > 0.5 * f["nproc"] else ""))
    print("timing:    min wall of %d run(s) on a warm page cache; peak RSS = max over runs (%s); MB = 10^6 bytes" % (
        args.runs, f["rss_source"]))
    sys.stdout.flush()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__.split("\n\n", 1)[1])
    ap.add_argument("--only", default="cc,chat,counted,text",
                    help="comma-separated sections: cc, chat, counted, text, rss (default: all but rss; "
                         "--rss-scale adds rss)")
    ap.add_argument("--runs", type=int, help="timing runs per measurement (default 3; 1 with --quick)")
    ap.add_argument("--quick", action="store_true", help="small corpora (text 2, chat 5, cc 5 MiB), 1 run")
    ap.add_argument("--text-mb", type=float, help="unique plain text size in MiB (default 20)")
    ap.add_argument("--chat-mb", type=float, help="chat log size in MiB (default 100)")
    ap.add_argument("--cc-mb", type=float, help="Claude Code tree size in MiB (default 200)")
    ap.add_argument("--rss-scale", action="store_true", help="also run the rss section (chat at --chat-mb and 4x)")
    ap.add_argument("--json", metavar="FILE", help="save every figure, the corpora and the machine facts as JSON")
    ap.add_argument("--bin", default=ccc.DEFAULT_BIN, help="tokenmaxx binary (default target/release/tokenmaxx)")
    ap.add_argument("--build", action="store_true", help="run cargo build --release first")
    ap.add_argument("--bench-dir", default=corpus.BENCH_DIR, help="corpus cache (default target/bench)")
    ap.add_argument("--ccusage-dir", default=os.path.join(CACHE, "ccusage-" + ccc.CCUSAGE_VERSION))
    ap.add_argument("--venv", default=os.path.join(CACHE, "venv"), help="venv for Python tiktoken")
    ap.add_argument("--count-engines", metavar="PATH", help="count_engines executable (default: found with cargo)")
    ap.add_argument("--no-count-engines", action="store_true", help="skip the count_engines peers")
    ap.add_argument("--no-tiktoken-py", action="store_true", help="skip the Python tiktoken peer")
    a = ap.parse_args()
    a.runs = a.runs or (1 if a.quick else 3)
    a.text_mb = a.text_mb or (2 if a.quick else 20)
    a.chat_mb = a.chat_mb or (5 if a.quick else 100)
    a.cc_mb = a.cc_mb or (5 if a.quick else 200)
    only = [s.strip() for s in a.only.split(",") if s.strip()]
    if a.rss_scale and "rss" not in only:
        only.append("rss")
    bad = [s for s in only if s not in SECTIONS]
    if bad:
        ap.error("--only: unknown section(s) %s; choose from %s" % (",".join(bad), ",".join(SECTIONS)))

    try:
        src, tm = tokenmaxx_binary(a)
    except SetupError as e:
        log("error: %s" % e)
        return 2
    facts = machine_facts(a, src, tm)
    if facts["tokenmaxx_commit_time"]:
        try:
            ct = dt.datetime.fromisoformat(facts["tokenmaxx_commit_time"])
            if os.path.getmtime(src) < ct.timestamp():
                log("warning: %s is older than HEAD's commit; rebuild (cargo build --release) or pass --build" % src)
        except ValueError:
            pass
    b = Bench(a, tm, facts)
    b.prepare_peers(only)
    facts["date"] = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    facts["loadavg_start"] = loadavg()
    print_header(facts, a)
    t0 = time.perf_counter()
    try:
        for s in SECTIONS:
            if s in only:
                try:
                    getattr(b, "sec_" + s)()
                except RuntimeError as e:  # a tokenmaxx run failed
                    print("\n== %s: FAILED: %s" % (s, e))
                    b.problems.append("%s: %s" % (s, e))
                    b.results["sections"][s] = {"error": str(e)}
                    b.failed = True
    finally:
        shutil.rmtree(b.tmp, ignore_errors=True)
    print()
    for s in b.skipped:
        print("SKIPPED: " + s)
    for p in b.problems:
        print("PROBLEM: " + p)
    facts["loadavg_end"] = loadavg()
    print("done in %.0fs; load average at the end %s" % (
        time.perf_counter() - t0, " ".join("%.2f" % x for x in facts["loadavg_end"] or [])))
    if a.json:
        for sec in b.results["sections"].values():
            for r in sec.get("rows", []):
                r.pop("stdout", None)
        b.results["args"] = {k: v for k, v in vars(a).items()}
        os.makedirs(os.path.dirname(os.path.abspath(a.json)), exist_ok=True)
        with open(a.json, "w") as f:
            json.dump(b.results, f, indent=1, ensure_ascii=False)
        print("saved %s" % a.json)
    if getattr(b, "failed", False):
        return 2
    return 1 if b.problems else 0


if __name__ == "__main__":
    sys.exit(main())
