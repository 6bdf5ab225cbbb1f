#!/usr/bin/env python3
"""Python tiktoken as a counting peer for bench.py, offline.

Run with the interpreter of the venv that has tiktoken (bench.py makes one in
~/.cache/tokenmaxx-bench/venv):

  tiktoken_peer.py --encoding o200k_base --assets DIR [--passes K] [--chunk-bytes N] FILE

The encoding is built from tiktoken's own definition
(`tiktoken_ext.openai_public.<encoding>()`: its pattern, special tokens and
expected sha256 of the rank file), but the rank file is read from DIR (the
`assets/` of the tiktoken-rs crate) instead of being downloaded: tiktoken's
`read_file_cached` is replaced by a reader that maps the URL's file name to
DIR/<name> and checks the same sha256. No network access happens.

The file is split like count_engines.rs (corpus.split_chunks: chunks of at most
64 KiB ending after a blank line) and decoded to str before timing; each pass
counts `len(enc.encode_ordinary(chunk))` over all chunks on one thread.

Output, one JSON object per line (same fields as count_engines):
  {"engine": "tiktoken-py", "event": "load", "version", "load_seconds", "rank_file", "rank_sha256"}
  {"engine": "tiktoken-py", "encoding", "threads": 1, "pass", "bytes", "tokens", "seconds", "mb_per_s"}
"""
import argparse
import hashlib
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.dont_write_bytecode = True
from corpus import CHUNK_MAX, split_chunks  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--encoding", required=True)
    ap.add_argument("--assets", required=True, help="directory with <encoding>.tiktoken rank files")
    ap.add_argument("--passes", type=int, default=1)
    ap.add_argument("--chunk-bytes", type=int, default=CHUNK_MAX)
    ap.add_argument("file")
    a = ap.parse_args()

    t0 = time.perf_counter()
    import tiktoken
    import tiktoken.load
    from tiktoken_ext import openai_public

    used = {}

    def read_local(blobpath, expected_hash=None):
        name = blobpath.rstrip("/").rsplit("/", 1)[-1]
        path = os.path.join(a.assets, name)
        with open(path, "rb") as f:
            data = f.read()
        digest = hashlib.sha256(data).hexdigest()
        if expected_hash and digest != expected_hash:
            sys.exit("tiktoken_peer: %s has sha256 %s, tiktoken expects %s" % (path, digest, expected_hash))
        used["rank_file"] = path
        used["rank_sha256"] = digest
        used["hash_checked"] = bool(expected_hash)
        return data

    tiktoken.load.read_file_cached = read_local  # load_tiktoken_bpe looks it up at call time
    ctor = openai_public.ENCODING_CONSTRUCTORS.get(a.encoding)
    if ctor is None:
        sys.exit("tiktoken_peer: unknown encoding %s" % a.encoding)
    params = ctor()
    params.pop("explicit_n_vocab", None)
    enc = tiktoken.Encoding(**params)
    load_s = time.perf_counter() - t0
    try:
        from importlib.metadata import version
        ver = version("tiktoken")
    except Exception:  # pragma: no cover
        ver = getattr(tiktoken, "__version__", "?")
    print(json.dumps(dict({"engine": "tiktoken-py", "event": "load", "encoding": a.encoding, "version": ver,
                           "load_seconds": round(load_s, 4)}, **used)), flush=True)

    with open(a.file, "rb") as f:
        data = f.read()
    chunks = [c.decode("utf-8") for c in split_chunks(data, a.chunk_bytes)]
    for p in range(1, a.passes + 1):
        t = time.perf_counter()
        n = 0
        for c in chunks:
            n += len(enc.encode_ordinary(c))
        s = time.perf_counter() - t
        print(json.dumps({"engine": "tiktoken-py", "encoding": a.encoding, "threads": 1, "pass": p,
                          "bytes": len(data), "tokens": n, "seconds": round(s, 6),
                          "mb_per_s": round(len(data) / 1e6 / s, 3)}), flush=True)


if __name__ == "__main__":
    main()
