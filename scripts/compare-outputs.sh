#!/usr/bin/env bash
# Byte-for-byte comparison of two tokenmaxx binaries over every fixture and
# the bundled examples: stdout, stderr and exit code of report (all formats,
# grouped, with every metric), records (JSONL, CSV, counted), check, merge,
# prices, count and tokenizers. Used to show that a refactor changed no
# output; not part of the test suite (it needs a second, older binary).
#
#   scripts/compare-outputs.sh OLD_BINARY NEW_BINARY
#
# Exit 0 when every output is identical; otherwise the differing cases are
# listed and the script exits 1.
set -uo pipefail
cd "$(dirname "$0")/.."
old=$(realpath "$1")
new=$(realpath "$2")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export NO_COLOR=1
unset TOKENMAXX_PRICING

inputs=(examples/logs tests/fixtures/formats tests/fixtures/batch tests/fixtures/claude-code
  tests/fixtures/codex tests/fixtures/helicone tests/fixtures/langfuse tests/fixtures/litellm
  tests/fixtures/llm-cli tests/fixtures/metrics tests/fixtures/otel tests/fixtures/usage-exports
  tests/fixtures/check/runs examples/ci/eval-runs)

cases=()
for i in "${inputs[@]}"; do
  cases+=("report $i"
    "report $i --format json --metrics all --top 5"
    "report $i --format csv --by day,model"
    "report $i --format markdown --by model,task --metrics all --top 3"
    "report $i --by provider,format --metrics all --top 3"
    "report $i --format json --by day,model --usage counted --drift"
    "report $i --format json --by task --metrics density"
    "records $i"
    "records $i --format csv"
    "records $i --usage counted")
done
cases+=("report tests/fixtures/formats/malformed-mid.jsonl --strict"
  "report tests/fixtures --by week,project --tz Europe/Oslo --since 2024-01-01 --until 2026-12-31"
  "check examples/ci/eval-runs --budget examples/ci/tokenmaxx.toml"
  "check examples/ci/eval-runs --budget examples/ci/tokenmaxx.toml --format json"
  "check examples/ci/eval-runs --budget examples/ci/tokenmaxx.toml --format markdown"
  "check tests/fixtures/check/runs --budget tests/fixtures/check/fail.toml"
  "check tests/fixtures/check/runs --budget tests/fixtures/check/fail.toml --format json"
  "check tests/fixtures/check/runs --budget tests/fixtures/check/baseline.toml --format markdown"
  "check tests/fixtures/check/runs --budget tests/fixtures/check/prompts.toml"
  "check --list-metrics"
  "prices" "prices --format json" "prices o3 --at 2025-05-01" "prices claude-sonnet-4-5 --format json"
  "prices check" "tokenizers" "tokenizers --format json"
  "count examples/ci/prompts --model gpt-4o" "count examples/ci/prompts --format json --encoding cl100k_base"
  "count README.md --model claude-sonnet-4-5 --max-tokens 10"
  "--help" "report --help" "records --help" "count --help" "prices --help" "merge --help"
  "check --help" "tokenizers --help" "completions --help" "man" "man report" "completions bash"
  "completions zsh" "completions fish")

run() { # binary tag case-number args...
  local bin=$1 tag=$2 n=$3
  shift 3
  (cd "$PWD" && "$bin" "$@" >"$work/$tag.$n.out" 2>"$work/$tag.$n.err"
    echo $? >"$work/$tag.$n.rc")
  # Paths of binaries and temp dirs are not output differences.
  sed -i "s#$bin#BIN#g" "$work/$tag.$n.err"
}

fail=0
n=0
for c in "${cases[@]}"; do
  n=$((n + 1))
  read -r -a args <<<"$c"
  run "$old" old $n "${args[@]}"
  run "$new" new $n "${args[@]}"
  for s in out err rc; do
    if ! cmp -s "$work/old.$n.$s" "$work/new.$n.$s"; then
      echo "DIFF ($s): tokenmaxx $c"
      diff "$work/old.$n.$s" "$work/new.$n.$s" | head -20
      fail=1
    fi
  done
done

# merge: shards written by each binary, merged by each binary.
for bin in old new; do
  b=$old; [ $bin = new ] && b=$new
  for s in examples/logs tests/fixtures/formats tests/fixtures/check/runs; do
    "$b" report "$s" --format json --by day,model --metrics all >"$work/$bin.shard.$(basename "$s").json" 2>/dev/null
  done
  "$b" merge "$work/$bin".shard.*.json --format json --top 3 >"$work/$bin.merged.json" 2>&1
  "$b" merge "$work/$bin".shard.*.json --metrics all >"$work/$bin.merged.txt" 2>&1
done
# Each binary must also read the other's shards (baselines saved earlier).
"$old" merge "$work"/*.shard.examples.json --format json >"$work/old.cross.json" 2>&1
"$new" merge "$work"/*.shard.examples.json --format json >"$work/new.cross.json" 2>&1
for f in merged.json merged.txt; do
  cmp -s "$work/old.$f" "$work/new.$f" || { echo "DIFF: merge ($f)"; diff "$work/old.$f" "$work/new.$f" | head; fail=1; }
done
cmp -s "$work/old.cross.json" "$work/new.cross.json" || { echo "DIFF: merge across binaries"; fail=1; }

total=$((n + 3))
if [ $fail = 0 ]; then
  echo "identical: $total cases (stdout, stderr, exit code)"
else
  exit 1
fi
