#!/usr/bin/env bash
# Regenerate pricing/generated/*.toml from the vendored data sets in
# pricing/vendor/, by the command each generated file records on its
# `# Command:` line. Run from the repository root after updating a vendored
# snapshot (and its line in pricing/vendor/README.md); then rebuild, and
# `cargo test` checks the embedded tables match what this writes.
#
# Usage: scripts/regenerate-pricing.sh [TOKENMAXX_BINARY]
set -euo pipefail
bin=${1:-target/release/tokenmaxx}
for table in pricing/generated/*.toml; do
    cmd=$(sed -n 's/^# Command: tokenmaxx //p' "$table")
    [ -n "$cmd" ] || { echo "$table: no '# Command:' line" >&2; exit 2; }
    eval "\"$bin\" $cmd --out pricing/generated"
done
