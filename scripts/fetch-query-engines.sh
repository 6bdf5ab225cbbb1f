#!/usr/bin/env bash
# Install what tests/query_engines.rs runs against: DuckDB and PySpark
# (local mode) from PyPI, in a virtualenv. PySpark needs a Java 17+ runtime
# on PATH (`.ci/run` installs the distribution's openjdk-17-jre-headless).
# Prints the variable the test reads.
#
# Usage: eval "$(scripts/fetch-query-engines.sh [DIR])"   (default target/query-engines)
set -euo pipefail
dir="${1:-target/query-engines}"
mkdir -p "$dir"
dir="$(cd "$dir" && pwd)"
if ! "$dir/venv/bin/python" -c "import duckdb, pyspark" 2>/dev/null; then
    python3 -m venv "$dir/venv" >&2
    "$dir/venv/bin/python" -m pip install --quiet --disable-pip-version-check \
        duckdb==2.0.1 pyspark==4.3.0 >&2
fi
echo "export TOKENMAXX_QUERY_PYTHON='$dir/venv/bin/python'"
