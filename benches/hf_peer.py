#!/usr/bin/env python3
"""Hugging Face's Python `tokenizers` as a counting peer for bench.py (the
`usertok` section), on a tokenizer.json file.

  hf_peer.py --tokenizer FILE [--passes K] CORPUS

The corpus is split like the other peers (corpus.split_chunks: chunks of at
most 64 KiB ending after a blank line); each pass counts
`len(tok.encode(chunk, add_special_tokens=False).ids)` over all chunks on
one thread (RAYON_NUM_THREADS=1 and TOKENIZERS_PARALLELISM=false are set
before the library loads).

Output, one JSON object per line:
  {"engine": "hf-tokenizers", "event": "load", "version", "load_seconds"}
  {"engine": "hf-tokenizers", "pass", "bytes", "tokens", "seconds", "mb_per_s"}
"""
import argparse
import json
import os
import sys
import time

os.environ["RAYON_NUM_THREADS"] = "1"
os.environ["TOKENIZERS_PARALLELISM"] = "false"
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.dont_write_bytecode = True
from corpus import split_chunks  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tokenizer", required=True)
    ap.add_argument("--passes", type=int, default=1)
    ap.add_argument("corpus")
    a = ap.parse_args()
    t = time.perf_counter()
    import tokenizers
    tok = tokenizers.Tokenizer.from_file(a.tokenizer)
    print(json.dumps({"engine": "hf-tokenizers", "event": "load", "version": tokenizers.__version__,
                      "load_seconds": round(time.perf_counter() - t, 4)}), flush=True)
    with open(a.corpus, "rb") as f:
        raw = f.read()
    chunks = [c.decode("utf-8") for c in split_chunks(raw)]
    for p in range(a.passes):
        t = time.perf_counter()
        n = sum(len(tok.encode(c, add_special_tokens=False).ids) for c in chunks)
        s = time.perf_counter() - t
        print(json.dumps({"engine": "hf-tokenizers", "pass": p + 1, "bytes": len(raw), "tokens": n,
                          "seconds": round(s, 4), "mb_per_s": round(len(raw) / 1e6 / s, 2)}), flush=True)


if __name__ == "__main__":
    main()
