#!/usr/bin/env python3
"""Reference token counts for tests/user_tokenizers.rs: Hugging Face's
`tokenizers` library, `encode(text, add_special_tokens=False)`, for each
file named, read as bytes and decoded as UTF-8 (no newline translation).

Usage: hf-count.py TOKENIZER_JSON FILE...   → JSON {file: count}
"""
import json
import sys

from tokenizers import Tokenizer

tok = Tokenizer.from_file(sys.argv[1])
out = {}
for path in sys.argv[2:]:
    with open(path, "rb") as f:
        text = f.read().decode("utf-8")
    out[path] = len(tok.encode(text, add_special_tokens=False).ids)
print(json.dumps(out))
