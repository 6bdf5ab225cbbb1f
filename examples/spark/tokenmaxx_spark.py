"""Run tokenmaxx inside Apache Spark, for log datasets larger than one machine.

Spark reads the dataset's files and groups them into shards (by default one
per directory, so that files that belong together -- a batch's input and
output, a Claude Code project's sessions -- stay in one tokenmaxx run).
Each shard runs through the tokenmaxx binary on an executor:

  report   every shard -> `tokenmaxx report --format json`; the driver runs
           `tokenmaxx merge` over the shard reports. The merged report is
           exact: it equals the report of the whole dataset read in one run.
  records  every shard -> `tokenmaxx records --format parquet`, one part file
           per shard in OUT; the driver opens OUT as a Spark table and prints
           the cost and tokens per model from Spark SQL (or your --sql).

Usage (pip install pyspark==4.3.0 for local mode; Java 17+ on PATH):

  python examples/spark/tokenmaxx_spark.py report  DATASET --out report.json
  python examples/spark/tokenmaxx_spark.py records DATASET --out records/
  spark-submit --master yarn examples/spark/tokenmaxx_spark.py report \\
      s3a://bucket/logs/ --tokenmaxx ./target/release/tokenmaxx --out report.json

Options:
  --tokenmaxx PATH   the binary (shipped to the executors with the job when it
                     is a file; else a command on the executors' PATH)
  --shard-by dir|file  what must stay together (default: dir)
  --out PATH         report: the merged JSON (default: stdout);
                     records: a directory every executor can write (local
                     disk in local mode, a shared or mounted file system on
                     a cluster)
  --sql QUERY        records: a query over the view `records` to print
  -- ARGS            passed to every shard's tokenmaxx run (--by, --pricing
                     FILE, --usage, ...); a --pricing file must exist at the
                     same path on every executor

The results are tokenmaxx's own: Spark only moves files and concatenates.
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
    p.add_argument("dataset", help="a file, directory or glob Spark can read")
    p.add_argument("--tokenmaxx", default="tokenmaxx")
    p.add_argument("--shard-by", choices=["dir", "file"], default="dir")
    p.add_argument("--out")
    p.add_argument("--sql")
    args = p.parse_args(argv)
    args.extra = extra
    return args


def shard_key(path, shard_by):
    return path if shard_by == "file" else path.rsplit("/", 1)[0]


def local_name(path):
    """The file's whole path without its scheme (file:/a/b.jsonl -> a/b.jsonl,
    s3a://bucket/a/b.jsonl -> bucket/a/b.jsonl): the shard's copy keeps the
    names tokenmaxx recognises formats by (extensions, the Claude Code and
    Codex directory layouts)."""
    rest = path.split(":", 1)[1] if ":" in path.split("/", 1)[0] else path
    parts = [p for p in rest.split("/") if p not in ("", ".", "..")]
    return os.path.join(*parts)


def run_shard(binary, mode, extra, out_dir):
    """A function for Spark: (shard key, files) -> tokenmaxx's output for
    the shard's files, written to a scratch directory first."""

    def run(item):
        from pyspark import SparkFiles

        key, files = item
        exe = SparkFiles.get(binary[1]) if binary[0] == "shipped" else binary[1]
        if binary[0] == "shipped":
            os.chmod(exe, 0o755)
        with tempfile.TemporaryDirectory(prefix="tokenmaxx-shard-") as tmp:
            names = []
            for path, content in sorted(files):
                name = local_name(path)
                os.makedirs(os.path.join(tmp, os.path.dirname(name)), exist_ok=True)
                with open(os.path.join(tmp, name), "wb") as f:
                    f.write(content)
                names.append(name)
            if mode == "report":
                cmd = [exe, "report", "--format", "json", "--quiet", *extra, *names]
            else:
                part = "part-" + hashlib.sha256(key.encode()).hexdigest()[:16] + ".parquet"
                target = os.path.join(out_dir, part)
                cmd = [exe, "records", "--format", "parquet", "--quiet", "-o", target,
                       *extra, *names]
            done = subprocess.run(cmd, cwd=tmp, capture_output=True)
            if done.returncode != 0:
                raise RuntimeError(
                    f"tokenmaxx failed on shard {key}: {done.stderr.decode(errors='replace')}")
            return key, done.stdout.decode() if mode == "report" else target

    return run


def main(argv):
    args = parse_args(argv)
    from pyspark.sql import SparkSession

    spark = (SparkSession.builder.appName("tokenmaxx")
             .config("spark.ui.showConsoleProgress", "false").getOrCreate())
    sc = spark.sparkContext
    sc.setLogLevel("ERROR")
    # Claude Code and Codex keep logs in nested directories.
    sc._jsc.hadoopConfiguration().set(
        "mapreduce.input.fileinputformat.input.dir.recursive", "true")

    if os.path.isfile(args.tokenmaxx):
        sc.addFile(os.path.abspath(args.tokenmaxx))
        binary = ("shipped", os.path.basename(args.tokenmaxx))
        local_exe = os.path.abspath(args.tokenmaxx)
    else:
        binary = ("path", args.tokenmaxx)
        local_exe = args.tokenmaxx

    files = sc.binaryFiles(args.dataset)

    out_dir = None
    if args.mode == "records":
        if not args.out:
            sys.exit("records: --out DIR is required")
        out_dir = os.path.abspath(args.out)
        os.makedirs(out_dir, exist_ok=True)
        # Part files of an earlier run would be read as this run's records.
        if os.listdir(out_dir):
            sys.exit(f"records: {out_dir} is not empty")

    shards = files.groupBy(lambda pf: shard_key(pf[0], args.shard_by))
    outputs = sorted(
        shards.map(run_shard(binary, args.mode, args.extra, out_dir)).collect())

    if args.mode == "report":
        with tempfile.TemporaryDirectory(prefix="tokenmaxx-merge-") as tmp:
            paths = []
            for i, (_, text) in enumerate(outputs):
                path = os.path.join(tmp, f"shard-{i:05d}.json")
                with open(path, "w") as f:
                    f.write(text)
                paths.append(path)
            merged = subprocess.run(
                [local_exe, "merge", "--format", "json", *paths],
                capture_output=True, check=False)
            if merged.returncode != 0:
                sys.exit(merged.stderr.decode(errors="replace"))
        if args.out:
            with open(args.out, "wb") as f:
                f.write(merged.stdout)
        else:
            sys.stdout.buffer.write(merged.stdout)
    else:
        records = spark.read.parquet(out_dir)
        records.createOrReplaceTempView("records")
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
