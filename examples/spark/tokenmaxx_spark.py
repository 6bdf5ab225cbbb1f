"""Run tokenmaxx inside Apache Spark, for log datasets larger than one machine.

The driver lists the dataset's files and groups them into shards: by
default one per top-level directory of the dataset (so files that belong
together -- a Claude Code project's sessions and their subagent logs, a
batch's input and output -- stay in one tokenmaxx run), plus one for the
files directly in it. Spark runs one task per shard, and each task runs the
tokenmaxx binary on its shard, one core per task (`spark.task.cpus`):

  report   each shard -> `tokenmaxx report --format json`; the driver runs
           `tokenmaxx merge` over the shard reports. The merged report is
           exact: it equals the report of the whole dataset read in one run.
  records  each shard -> `tokenmaxx records --format parquet`, one part file
           per shard in OUT; the driver opens OUT as a Spark table and prints
           cost and tokens per model from Spark SQL (or the result of --sql).

Usage (local mode: pip install pyspark==4.3.0, Java 17+ on PATH):

  python examples/spark/tokenmaxx_spark.py report  DATASET [--out report.json] [-- ARGS]
  python examples/spark/tokenmaxx_spark.py records DATASET --out records/ [--sql QUERY]
  spark-submit --master yarn examples/spark/tokenmaxx_spark.py report \\
      s3://bucket/logs/ --tokenmaxx ./target/release/tokenmaxx --out report.json

Options:
  --tokenmaxx PATH   the binary (shipped to the executors with the job when it
                     is a file on the driver; else a command on their PATH)
  --shard-by top|file  top (default): each directory directly below DATASET
                     with everything under it, and the files directly in
                     DATASET together; file: each file alone. Files that a
                     log format joins or de-duplicates across must share a
                     shard (README, "Scale beyond one machine").
  --out PATH         report: the merged JSON (default: stdout);
                     records: an empty directory every executor can write
                     (local disk in local mode, a shared file system on a
                     cluster)
  --sql QUERY        records: a Spark SQL query over the view `records`
  -- ARGS            passed to every shard's tokenmaxx run (--by, --pricing
                     FILE, --usage, ...); a --pricing file must be at the
                     same path on every executor

DATASET is a local or shared path, read in place by the executors, or a URL
of an object store (s3://, gs://, abfs://, ...), which needs `fsspec` and
its driver (`s3fs`, `gcsfs`, ...) on the driver and executors: each task
then copies its shard to scratch space first.

The results are tokenmaxx's own; Spark only schedules the runs.
tests/query_engines.rs runs both modes in local mode on examples/logs and
compares them with one `tokenmaxx report`.
"""

import argparse
import hashlib
import json
import os
import subprocess
import sys
import tempfile


def parse_args(argv):
    extra = []
    if "--" in argv:
        cut = argv.index("--")
        argv, extra = argv[:cut], argv[cut + 1:]
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("mode", choices=["report", "records"])
    p.add_argument("dataset", help="a directory or file, local, shared or in an object store")
    p.add_argument("--tokenmaxx", default="tokenmaxx")
    p.add_argument("--shard-by", choices=["top", "file"], default="top")
    p.add_argument("--out")
    p.add_argument("--sql")
    args = p.parse_args(argv)
    args.extra = extra
    return args


def is_url(path):
    return "://" in path


def list_files(dataset):
    """Every file under the dataset, as paths relative to it, skipping
    hidden entries as tokenmaxx's own directory walk does."""
    if is_url(dataset):
        import fsspec

        fs, root = fsspec.core.url_to_fs(dataset)
        if fs.isfile(root):
            return os.path.dirname(root), [os.path.basename(root)]
        names = [os.path.relpath(p, root) for p in fs.find(root)]
    elif os.path.isfile(dataset):
        return os.path.dirname(os.path.abspath(dataset)), [os.path.basename(dataset)]
    else:
        names = []
        for base, dirs, files in os.walk(dataset):
            dirs[:] = [d for d in dirs if not d.startswith(".")]
            rel = os.path.relpath(base, dataset)
            names += [os.path.normpath(os.path.join(rel, f)) for f in files
                      if not f.startswith(".")]
    return dataset, [n for n in names
                     if is_log(n) and not any(c.startswith(".") for c in n.split("/"))]


# The extensions tokenmaxx's directory walk reads (src/ingest/walk.rs).
LOG_EXTENSIONS = {"jsonl", "ndjson", "json", "csv", "log", "gz", "zst", "zstd", "db"}


def is_log(name):
    return "." in name and name.rsplit(".", 1)[1].lower() in LOG_EXTENSIONS


def walk_order(name):
    """tokenmaxx's order within a directory (src/ingest/walk.rs): files
    before `agent-*` files (a session before the subagent logs that replay
    it), each by name. Only the files directly in the dataset need it: a
    directory shard is given to tokenmaxx whole and walked by it."""
    return (name.startswith("agent-"), name)


def shards(names, shard_by):
    """(shard id, [paths relative to the dataset]) in a fixed order."""
    if shard_by == "file":
        return [(n, [n]) for n in sorted(names)]
    groups = {}
    for n in names:
        top = n.split("/", 1)[0] if "/" in n else ""
        groups.setdefault(top, []).append(n)
    out = []
    for top in sorted(groups):
        if top:
            out.append((top, [top]))
        else:
            out.append(("(top)", sorted(groups[top], key=walk_order)))
    return out


def run_shard(binary, dataset, mode, extra, out_dir, remote_files):
    """The task: one tokenmaxx run over one shard."""

    def run(shard):
        from pyspark import SparkFiles

        sid, paths = shard
        exe = SparkFiles.get(binary[1]) if binary[0] == "shipped" else binary[1]
        if binary[0] == "shipped":
            os.chmod(exe, 0o755)
        with tempfile.TemporaryDirectory(prefix="tokenmaxx-shard-") as tmp:
            if is_url(dataset):
                import fsspec

                fs, root = fsspec.core.url_to_fs(dataset)
                base = os.path.join(tmp, "data")
                for name in remote_files[sid]:
                    os.makedirs(os.path.dirname(os.path.join(base, name)), exist_ok=True)
                    fs.get(os.path.join(root, name), os.path.join(base, name))
            else:
                base = dataset
            inputs = [os.path.join(base, p) for p in paths]
            if mode == "report":
                cmd = [exe, "report", "--format", "json"]
            else:
                part = "part-" + hashlib.sha256(sid.encode()).hexdigest()[:16] + ".parquet"
                cmd = [exe, "records", "--format", "parquet", "-o", os.path.join(out_dir, part)]
            done = subprocess.run(cmd + ["--quiet", *extra, *inputs], capture_output=True)
            if done.returncode != 0:
                raise RuntimeError(
                    f"tokenmaxx failed on shard {sid}: {done.stderr.decode(errors='replace')}")
            return sid, done.stdout.decode() if mode == "report" else part

    return run


def main(argv):
    args = parse_args(argv)
    from pyspark.sql import SparkSession

    spark = (SparkSession.builder.appName("tokenmaxx")
             .config("spark.ui.showConsoleProgress", "false").getOrCreate())
    sc = spark.sparkContext
    sc.setLogLevel("ERROR")

    if os.path.isfile(args.tokenmaxx):
        sc.addFile(os.path.abspath(args.tokenmaxx))
        binary = ("shipped", os.path.basename(args.tokenmaxx))
        local_exe = os.path.abspath(args.tokenmaxx)
    else:
        binary = ("path", args.tokenmaxx)
        local_exe = args.tokenmaxx

    dataset = args.dataset if is_url(args.dataset) else os.path.abspath(args.dataset)
    dataset, names = list_files(dataset)
    plan = shards(names, args.shard_by)
    # A remote shard is copied file by file, so its task needs the names.
    remote_files = {}
    if is_url(dataset):
        for sid, paths in plan:
            remote_files[sid] = [n for n in names
                                 if any(n == p or n.startswith(p + "/") for p in paths)]
    # One core per task, as Spark counts them, unless the caller says.
    extra = list(args.extra)
    if "--threads" not in extra and "-j" not in extra:
        extra = ["--threads", sc.getConf().get("spark.task.cpus", "1"), *extra]

    out_dir = None
    if args.mode == "records":
        if not args.out:
            sys.exit("records: --out DIR is required")
        out_dir = os.path.abspath(args.out)
        os.makedirs(out_dir, exist_ok=True)
        # Part files of an earlier run would be read as this run's records.
        if os.listdir(out_dir):
            sys.exit(f"records: {out_dir} is not empty")

    task = run_shard(binary, dataset, args.mode, extra, out_dir, remote_files)
    outputs = sorted(sc.parallelize(plan, max(1, len(plan))).map(task).collect())

    if args.mode == "report":
        with tempfile.TemporaryDirectory(prefix="tokenmaxx-merge-") as tmp:
            paths = []
            for i, (_, text) in enumerate(outputs):
                path = os.path.join(tmp, f"shard-{i:05d}.json")
                with open(path, "w") as f:
                    f.write(text)
                paths.append(path)
            merged = subprocess.run([local_exe, "merge", "--format", "json", *paths],
                                    capture_output=True)
            if merged.returncode != 0:
                sys.exit(merged.stderr.decode(errors="replace"))
        if args.out:
            with open(args.out, "wb") as f:
                f.write(merged.stdout)
        else:
            sys.stdout.buffer.write(merged.stdout)
    else:
        spark.read.parquet(out_dir).createOrReplaceTempView("records")
        query = args.sql or """
            SELECT coalesce(model, '(none)') AS model,
                   count(*) AS records,
                   CAST(sum(cost_usd) AS STRING) AS cost_usd,
                   sum(usage_input) AS input,
                   sum(usage_cache_read) AS cache_read,
                   sum(usage_cache_write_5m) + sum(usage_cache_write_1h) AS cache_write,
                   sum(usage_output) AS output,
                   sum(usage_reasoning) AS reasoning
            FROM records GROUP BY 1 ORDER BY 1"""
        for row in spark.sql(query).collect():
            print(json.dumps(row.asDict(), default=str))
    spark.stop()


if __name__ == "__main__":
    main(sys.argv[1:])
