#!/usr/bin/env python3
"""Deterministic benchmark corpora for bench.py (Python 3 standard library only).

Three corpora, each a pure function of (size, seed, generator source):

  unique text   prose, code, JSON, numbers, logs and non-Latin scripts (CJK,
                Korean, Cyrillic, Greek, Arabic, Devanagari, emoji) drawn from
                a seeded RNG over large synthetic vocabularies, so lines and
                word 8-grams rarely repeat (a tokenizer with a cache gets no
                free ride). Paragraphs are separated by exactly one blank line
                ("\\n\\n"), never start with whitespace or '/', and never hold a
                blank line, so counting the chunks of `split_chunks` gives the
                same total as counting the whole file in one piece.
  chat history  OpenAI chat `{request, response}` JSONL where every request of a
                conversation (~20 requests) resends the system prompt and all
                earlier turns, with reported usage (prompt, completion, cached).
  claude code   the seeded `~/.claude` tree of ccusage_compare.py (imported,
                not copied).

`cached_corpus` stores each corpus under target/bench/ in a file or directory
whose name carries the parameters and a hash of the generator's source code,
next to a `.meta.json` written last: a corpus is regenerated only when that
pair is missing. `split_chunks` is shared with tiktoken_peer.py.

Usage (stand-alone): python3 benches/corpus.py text|chat|cc MB [--seed N] [--out PATH]
"""
import argparse
import bisect
import hashlib
import inspect
import itertools
import json
import os
import random
import shutil
import sys
import time
import types

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
BENCH_DIR = os.path.join(ROOT, "target", "bench")

TEXT_SEED = 20261127
CHAT_SEED = 20261128
CC_SEED = 20251028  # ccusage_compare.py's default

CHUNK_MAX = 64 * 1024


# --------------------------------------------------------------------------
# chunking (shared with tiktoken_peer.py and mirrored by count_engines.rs)
# --------------------------------------------------------------------------

def split_chunks(data, max_bytes=CHUNK_MAX):
    """Split bytes into chunks of at most max_bytes, each ending just after a
    "\\n\\n" (the last one inside the window); a window without one is cut at
    the last UTF-8 character boundary. Returns a list of bytes objects."""
    out = []
    n = len(data)
    i = 0
    while i < n:
        if n - i <= max_bytes:
            out.append(data[i:])
            break
        j = data.rfind(b"\n\n", i, i + max_bytes)
        if j > i:  # like count_engines.rs: a blank line at the very start is no cut
            end = j + 2
        else:
            end = i + max_bytes
            while end > i and (data[end] & 0xC0) == 0x80:  # continuation byte
                end -= 1
        out.append(data[i:end])
        i = end
    return out


# --------------------------------------------------------------------------
# synthetic vocabularies
# --------------------------------------------------------------------------

ENGLISH = (
    "the of and to in a is that for it as was with be by on not he this are or his from at which but have an they "
    "you were her she there been one all we their has would when if so no will can more about said what up out "
    "them some into only could new these two may first then do any like my now over such our man me even most "
    "made after also did many before must through back years where much your way well down should because each "
    "just those people how too little state good very make world still own see men work long get here between "
    "both life being under never day same another know while last might us great old year off come since against "
    "go came right used take three however data value request response error cache latency customer invoice "
    "report release queue model token budget deploy service server client user system file table index"
).split()


def zipf_cum(n, s=1.05, q=2.7):
    """Cumulative Zipf-Mandelbrot weights for ranks 0..n-1."""
    acc = 0.0
    out = []
    for i in range(n):
        acc += 1.0 / (i + q) ** s
        out.append(acc)
    return out


class Vocab:
    """Words with Zipf frequencies; `words(k)` draws k of them."""

    def __init__(self, rng, words):
        self.rng = rng
        self.list = words
        self.cum = zipf_cum(len(words))

    def words(self, k):
        return self.rng.choices(self.list, cum_weights=self.cum, k=k)

    def one(self):
        return self.words(1)[0]


def make_words(rng, n, syllable, lo=1, hi=4, weights=(3, 4, 3, 1)):
    seen = set()
    out = []
    counts = list(range(lo, hi + 1))
    w = list(weights[: len(counts)])
    while len(out) < n:
        k = rng.choices(counts, weights=w)[0]
        s = "".join(syllable() for _ in range(k))
        if s not in seen:
            seen.add(s)
            out.append(s)
    return out


def latin_syllable(rng):
    onsets = ["", "b", "c", "d", "f", "g", "h", "j", "k", "l", "m", "n", "p", "r", "s", "t", "v", "w", "z",
              "br", "ch", "cl", "cr", "dr", "fl", "gr", "pl", "pr", "sh", "sk", "sp", "st", "str", "th", "tr", "qu"]
    nuclei = ["a", "e", "i", "o", "u", "a", "e", "i", "o", "ea", "ou", "ai", "ie", "y", "oo"]
    codas = ["", "", "", "n", "r", "s", "t", "l", "m", "nd", "st", "ng", "ck", "x", "rt", "ll", "ss", "nt"]
    return lambda: rng.choice(onsets) + rng.choice(nuclei) + rng.choice(codas)


def table_syllable(rng, onsets, nuclei, codas):
    return lambda: rng.choice(onsets) + rng.choice(nuclei) + rng.choice(codas)


def devanagari_syllable(rng):
    cons = [chr(c) for c in range(0x0915, 0x0939 + 1)]
    matras = ["", "", "\u093e", "\u093f", "\u0940", "\u0941", "\u0942", "\u0947", "\u0948", "\u094b", "\u094c"]
    tails = ["", "", "", "\u0902", "\u0903"]

    def syl():
        s = rng.choice(cons)
        if rng.random() < 0.12:  # conjunct: consonant + virama + consonant
            s += "\u094d" + rng.choice(cons)
        return s + rng.choice(matras) + rng.choice(tails)
    return syl


def hangul_syllable(rng):
    return lambda: chr(0xAC00 + rng.randrange(11172))


EMOJI_RANGES = [(0x1F600, 0x1F64F), (0x1F300, 0x1F5FF), (0x1F680, 0x1F6FF), (0x1F900, 0x1F9FF), (0x2600, 0x26FF)]
SKIN = [chr(c) for c in range(0x1F3FB, 0x1F400)]


class TextGen:
    """Paragraph generator over seeded synthetic vocabularies."""

    def __init__(self, seed):
        rng = self.rng = random.Random(seed)
        latin = make_words(rng, 120000, latin_syllable(rng))
        self.latin = Vocab(rng, ENGLISH + [w for w in latin if w not in set(ENGLISH)])
        self.cyr = Vocab(rng, make_words(rng, 40000, table_syllable(
            rng, ["", "б", "в", "г", "д", "ж", "з", "к", "л", "м", "н", "п", "р", "с", "т", "ф", "х", "ц", "ч", "ш",
                  "щ", "ст", "пр", "кр", "тр"],
            ["а", "е", "и", "о", "у", "ы", "э", "ю", "я", "ё"], ["", "", "н", "р", "с", "т", "й", "л", "м", "ь"])))
        self.greek = Vocab(rng, [w[:-1] + "ς" if w.endswith("σ") else w for w in make_words(rng, 25000, table_syllable(
            rng, ["", "β", "γ", "δ", "ζ", "θ", "κ", "λ", "μ", "ν", "ξ", "π", "ρ", "σ", "τ", "φ", "χ", "ψ", "στ", "πρ"],
            ["α", "ε", "η", "ι", "ο", "υ", "ω", "ά", "έ", "ή", "ί", "ό", "ύ", "ώ", "ου", "αι"],
            ["", "", "", "ν", "σ", "ρ"]))])
        self.arabic = Vocab(rng, make_words(rng, 25000, table_syllable(
            rng, list("بتثجحخدذرزسشصضطظعغفقكلمنهوي"), ["", "ا", "و", "ي", "", ""],
            ["", "", "ن", "ة", "ت", "م", "ل", "ر"])))
        self.deva = Vocab(rng, make_words(rng, 25000, devanagari_syllable(rng)))
        self.hangul = Vocab(rng, make_words(rng, 30000, hangul_syllable(rng), 1, 4, (2, 5, 3, 1)))
        cjk = list(range(0x4E00, 0x9FA6))
        rng.shuffle(cjk)
        self.han = Vocab(rng, [chr(c) for c in cjk[:8000]])
        self.kana = [chr(c) for c in range(0x3041, 0x3094)] + [chr(c) for c in range(0x30A1, 0x30FB)]
        self.emoji = [chr(c) for a, b in EMOJI_RANGES for c in range(a, b + 1)]
        self.kinds = [
            ("prose", 40), ("markdown", 5), ("code", 14), ("json", 7), ("numbers", 4), ("log", 4),
            ("cyrillic", 5), ("greek", 3), ("arabic", 3), ("devanagari", 3), ("chinese", 4),
            ("japanese", 3), ("korean", 3), ("chat", 2),
        ]
        self.kind_names = [k for k, _ in self.kinds]
        self.kind_cum = list(itertools.accumulate(w for _, w in self.kinds))

    # -- pieces ----------------------------------------------------------------
    def number(self):
        rng = self.rng
        r = rng.random()
        if r < 0.3:
            return str(rng.randint(0, 10 ** rng.randint(1, 7)))
        if r < 0.45:
            return "%.*f" % (rng.randint(1, 4), rng.uniform(-1000, 100000))
        if r < 0.55:
            return "%d%%" % rng.randint(0, 100)
        if r < 0.65:
            return "$%s.%02d" % (format(rng.randint(1, 10 ** 6), ","), rng.randint(0, 99))
        if r < 0.8:
            return "%04d-%02d-%02d" % (rng.randint(1990, 2030), rng.randint(1, 12), rng.randint(1, 28))
        if r < 0.9:
            return "%d.%d.%d" % (rng.randint(0, 20), rng.randint(0, 40), rng.randint(0, 200))
        return "%02d:%02d:%02d" % (rng.randint(0, 23), rng.randint(0, 59), rng.randint(0, 59))

    def emo(self):
        rng = self.rng
        r = rng.random()
        if r < 0.1:  # flag: two regional indicators
            return chr(0x1F1E6 + rng.randrange(26)) + chr(0x1F1E6 + rng.randrange(26))
        e = rng.choice(self.emoji)
        if r < 0.2:
            e += rng.choice(SKIN)
        elif r < 0.25:  # ZWJ sequence
            e += "\u200d" + rng.choice(self.emoji)
        return e

    def sentence(self, vocab, lo, hi, end=".", space=" "):
        rng = self.rng
        ws = vocab.words(rng.randint(lo, hi))
        for i in range(len(ws)):
            r = rng.random()
            if r < 0.04:
                ws[i] = self.number()
            elif r < 0.07:
                ws[i] = ws[i] + ","
            elif r < 0.075:
                ws[i] = "(" + ws[i] + ")"
            elif r < 0.08:
                ws[i] = '"' + ws[i] + '"'
            elif r < 0.085:
                ws[i] = ws[i] + "'s"
        s = space.join(ws)
        return s[:1].upper() + s[1:] + end

    def ident(self, style):
        ws = self.latin.words(self.rng.randint(1, 3))
        if style == "snake":
            return "_".join(ws)
        if style == "camel":
            return ws[0] + "".join(w.capitalize() for w in ws[1:])
        return "".join(w.capitalize() for w in ws)

    def expr(self):
        rng = self.rng
        r = rng.random()
        if r < 0.3:
            return self.number() if rng.random() < 0.5 else str(rng.randint(0, 4096))
        if r < 0.5:
            return '"%s"' % " ".join(self.latin.words(rng.randint(1, 5)))
        if r < 0.75:
            return "%s(%s)" % (self.ident("snake"), ", ".join(self.ident("snake") for _ in range(rng.randint(0, 3))))
        return "%s %s %s" % (self.ident("snake"), rng.choice(["+", "-", "*", "/", "==", "<=", "and", "or", "%"]),
                             self.ident("snake"))

    # -- paragraphs --------------------------------------------------------------
    def paragraph(self):
        rng = self.rng
        kind = self.kind_names[bisect.bisect_right(self.kind_cum, rng.random() * self.kind_cum[-1])]
        return kind, getattr(self, "p_" + kind)()

    def p_prose(self):
        rng = self.rng
        out = []
        for _ in range(rng.randint(2, 9)):
            s = self.sentence(self.latin, 5, 28, rng.choice([".", ".", ".", "?", "!", ":", ";"]))
            if rng.random() < 0.04:
                s += " " + self.emo()
            out.append(s)
        return " ".join(out)

    def p_markdown(self):
        rng = self.rng
        lines = ["#" * rng.randint(1, 3) + " " + self.sentence(self.latin, 2, 7, "")]
        for _ in range(rng.randint(2, 8)):
            lead = rng.choice(["- ", "* ", "%d. " % rng.randint(1, 20), "> ", "| "])
            lines.append(lead + self.sentence(self.latin, 3, 16, rng.choice(["", ".", " |"])))
        lines[0] = lines[0].lstrip("#").lstrip() if rng.random() < 0.2 else lines[0]
        return "\n".join(lines)

    def p_code(self):
        rng = self.rng
        lang = rng.choice(["python", "rust", "js", "sql", "shell"])
        lines = []
        if lang == "python":
            lines.append("def %s(%s):" % (self.ident("snake"), ", ".join(self.ident("snake") for _ in range(rng.randint(0, 4)))))
            lines.append('    """%s"""' % self.sentence(self.latin, 4, 12))
            for _ in range(rng.randint(2, 12)):
                r = rng.random()
                if r < 0.5:
                    lines.append("    %s = %s" % (self.ident("snake"), self.expr()))
                elif r < 0.7:
                    lines.append("    if %s:\n        %s += %s" % (self.expr(), self.ident("snake"), self.number()))
                elif r < 0.85:
                    lines.append("    # %s" % self.sentence(self.latin, 3, 12, ""))
                else:
                    lines.append("    for %s in %s:\n        yield %s" % (self.ident("snake"), self.expr(), self.expr()))
            lines.append("    return %s" % self.expr())
        elif lang == "rust":
            lines.append("pub fn %s(%s) -> Result<%s, Error> {" % (
                self.ident("snake"), ", ".join("%s: &%s" % (self.ident("snake"), self.ident("pascal"))
                                               for _ in range(rng.randint(0, 3))), self.ident("pascal")))
            for _ in range(rng.randint(2, 12)):
                r = rng.random()
                if r < 0.5:
                    lines.append("    let %s%s = %s;" % (rng.choice(["", "mut "]), self.ident("snake"), self.expr()))
                elif r < 0.7:
                    lines.append("    // %s" % self.sentence(self.latin, 3, 12, ""))
                elif r < 0.85:
                    lines.append("    if %s { return Err(Error::%s(%s)); }" % (self.expr(), self.ident("pascal"), self.number()))
                else:
                    lines.append("    %s.%s(&%s)?;" % (self.ident("snake"), self.ident("snake"), self.ident("snake")))
            lines.append("    Ok(%s)\n}" % self.ident("snake"))
        elif lang == "js":
            lines.append("export async function %s(%s) {" % (self.ident("camel"), ", ".join(self.ident("camel") for _ in range(rng.randint(0, 3)))))
            for _ in range(rng.randint(2, 10)):
                r = rng.random()
                if r < 0.5:
                    lines.append("  const %s = await %s.%s(`/%s/${%s}`);" % (
                        self.ident("camel"), self.ident("camel"), rng.choice(["get", "post", "put"]),
                        "/".join(self.latin.words(rng.randint(1, 3))), self.ident("camel")))
                elif r < 0.75:
                    lines.append("  if (%s === %s) { %s.push(%s); }" % (self.ident("camel"), self.expr(), self.ident("camel"), self.expr()))
                else:
                    lines.append("  // %s" % self.sentence(self.latin, 3, 12, ""))
            lines.append("  return %s;\n}" % self.ident("camel"))
        elif lang == "sql":
            cols = ", ".join(self.ident("snake") for _ in range(rng.randint(1, 6)))
            lines.append("SELECT %s\nFROM %s AS t\nWHERE t.%s %s %s\n  AND t.%s IN (%s)\nORDER BY %d DESC\nLIMIT %d;" % (
                cols, self.ident("snake"), self.ident("snake"), rng.choice(["=", ">", "<", "<>"]), self.number(),
                self.ident("snake"), ", ".join("'%s'" % self.latin.one() for _ in range(rng.randint(1, 5))),
                rng.randint(1, 5), rng.randint(1, 1000)))
        else:
            for _ in range(rng.randint(1, 6)):
                lines.append("%s %s --%s=%s %s/%s.%s" % (
                    rng.choice(["cargo", "git", "kubectl", "docker", "npm", "curl", "python3"]),
                    self.latin.one(), self.latin.one(), self.number(), self.ident("snake"), self.ident("snake"),
                    rng.choice(["json", "yaml", "toml", "rs", "py", "log"])))
        return "\n".join(lines)

    def json_value(self, depth):
        rng = self.rng
        r = rng.random()
        if depth < 2 and r < 0.15:
            return {self.ident(rng.choice(["snake", "camel"])): self.json_value(depth + 1) for _ in range(rng.randint(1, 5))}
        if depth < 2 and r < 0.25:
            return [self.json_value(depth + 1) for _ in range(rng.randint(0, 4))]
        if r < 0.45:
            return rng.randint(-10 ** 6, 10 ** 9)
        if r < 0.55:
            return round(rng.uniform(-100, 1e5), rng.randint(0, 6))
        if r < 0.62:
            return rng.choice([True, False, None])
        if r < 0.7:
            return "%08x-%04x-%04x" % (rng.getrandbits(32), rng.getrandbits(16), rng.getrandbits(16))
        return " ".join(self.latin.words(rng.randint(1, 8)))

    def p_json(self):
        rng = self.rng
        obj = {self.ident(rng.choice(["snake", "camel"])): self.json_value(0) for _ in range(rng.randint(2, 9))}
        if rng.random() < 0.5:
            return json.dumps(obj, ensure_ascii=False)
        return json.dumps(obj, ensure_ascii=False, indent=2)

    def p_numbers(self):
        rng = self.rng
        cols = rng.randint(3, 7)
        head = ",".join(self.ident("snake") for _ in range(cols))
        rows = [",".join(self.number() if rng.random() < 0.8 else self.latin.one() for _ in range(cols))
                for _ in range(rng.randint(2, 10))]
        return head + "\n" + "\n".join(rows)

    def p_log(self):
        rng = self.rng
        lines = []
        for _ in range(rng.randint(2, 10)):
            lines.append("%04d-%02d-%02dT%02d:%02d:%02d.%03dZ %s %s: %s ip=%d.%d.%d.%d latency_ms=%d id=%x" % (
                rng.randint(2023, 2026), rng.randint(1, 12), rng.randint(1, 28), rng.randint(0, 23),
                rng.randint(0, 59), rng.randint(0, 59), rng.randint(0, 999),
                rng.choice(["INFO", "WARN", "ERROR", "DEBUG"]), self.ident("snake"),
                self.sentence(self.latin, 3, 12, ""), rng.randint(1, 254), rng.randint(0, 255), rng.randint(0, 255),
                rng.randint(1, 254), rng.randint(1, 9000), rng.getrandbits(48)))
        return "\n".join(lines)

    def p_cyrillic(self):
        return " ".join(self.sentence(self.cyr, 4, 20, self.rng.choice([".", ".", "?", "!"])) for _ in range(self.rng.randint(1, 6)))

    def p_greek(self):
        return " ".join(self.sentence(self.greek, 4, 18, self.rng.choice([".", ".", ";"])) for _ in range(self.rng.randint(1, 5)))

    def p_arabic(self):
        rng = self.rng
        out = []
        for _ in range(rng.randint(1, 5)):
            ws = ["ال" + w if rng.random() < 0.25 else w for w in self.arabic.words(rng.randint(4, 18))]
            out.append(" ".join(ws) + rng.choice(["۔", ".", "؟", "،"]))
        return " ".join(out)

    def p_devanagari(self):
        return " ".join(self.sentence(self.deva, 4, 18, "।") for _ in range(self.rng.randint(1, 5)))

    def p_chinese(self):
        rng = self.rng
        out = []
        for _ in range(rng.randint(1, 6)):
            s = "".join(self.han.words(rng.randint(6, 40)))
            if rng.random() < 0.2:
                s += self.number()
            out.append(s + rng.choice(["。", "，", "！", "？", "；"]))
        return "".join(out)

    def p_japanese(self):
        rng = self.rng
        out = []
        for _ in range(rng.randint(1, 6)):
            parts = []
            for _ in range(rng.randint(3, 12)):
                parts.append("".join(self.han.words(rng.randint(1, 3))) if rng.random() < 0.5 else
                             "".join(rng.choice(self.kana) for _ in range(rng.randint(1, 5))))
            out.append("".join(parts) + rng.choice(["。", "、", "！"]))
        return "".join(out)

    def p_korean(self):
        return " ".join(self.sentence(self.hangul, 3, 14, self.rng.choice([".", ".", "?"])) for _ in range(self.rng.randint(1, 5)))

    def p_chat(self):
        rng = self.rng
        out = []
        for _ in range(rng.randint(2, 6)):
            s = self.sentence(self.latin, 2, 12, rng.choice(["", "!", "?", "!!", "..."]))
            s += " " + "".join(self.emo() for _ in range(rng.randint(1, 3)))
            out.append(s)
        return " ".join(out)

    def message(self, lo_paras, hi_paras, kinds=None):
        """A chat message: a few paragraphs joined by blank lines."""
        paras = []
        for _ in range(self.rng.randint(lo_paras, hi_paras)):
            paras.append(self.paragraph()[1])
        return "\n\n".join(paras)


# --------------------------------------------------------------------------
# unique plain text
# --------------------------------------------------------------------------

def gen_text(path, mb, seed=TEXT_SEED):
    """Write about `mb` MiB of unique text; return its statistics."""
    g = TextGen(seed)
    target = int(mb * 1048576)
    written = 0
    kinds = {}
    with open(path, "w", encoding="utf-8", newline="") as f:
        first = True
        while written < target:
            kind, p = g.paragraph()
            b = len(p.encode("utf-8"))
            kinds[kind] = kinds.get(kind, 0) + b
            if not first:
                f.write("\n\n")
                written += 2
            f.write(p)
            written += b
            first = False
        f.write("\n")
    st = text_stats(path)
    st["bytes_by_kind"] = dict(sorted(kinds.items(), key=lambda kv: -kv[1]))
    return st


def text_stats(path):
    """Repetition figures: distinct non-empty lines, distinct whitespace words,
    distinct word 8-grams (as shares of the totals)."""
    with open(path, "rb") as f:
        data = f.read()
    lines = [ln for ln in data.split(b"\n") if ln.strip()]
    words = data.split()
    grams = set()
    h = hash
    for i in range(len(words) - 7):
        grams.add(h(tuple(words[i:i + 8])))
    n8 = max(1, len(words) - 7)
    return {
        "bytes": len(data),
        "paragraphs": data.count(b"\n\n") + 1,
        "lines": len(lines),
        "distinct_line_share": round(len(set(lines)) / max(1, len(lines)), 4),
        "words": len(words),
        "distinct_word_share": round(len(set(words)) / max(1, len(words)), 4),
        "distinct_8gram_share": round(len(grams) / n8, 4),
        "non_ascii_byte_share": round(sum(1 for b in data if b >= 0x80) / max(1, len(data)), 4),
    }


# --------------------------------------------------------------------------
# chat logs with resent history
# --------------------------------------------------------------------------

CHAT_MODELS = ["gpt-4o-2024-08-06", "gpt-4o-mini-2024-07-18", "gpt-4.1-2025-04-14", "o4-mini-2025-04-16",
               "gpt-5-2025-08-07"]


def gen_chat(path, mb, seed=CHAT_SEED, turns=20):
    """Conversations of ~`turns` requests; request k resends the system prompt
    and turns 1..k-1 before the new user message. Stops at the first line past
    `mb` MiB. Returns statistics."""
    g = TextGen(seed)
    rng = random.Random(seed + 1)
    target = int(mb * 1048576)
    systems = ["You are %s, an assistant for the %s team. " % (g.ident("pascal"), g.ident("snake")) +
               g.message(2, 6) for _ in range(16)]
    written = records = convs = 0
    t0 = 1735689600
    max_line = 0
    with open(path, "w", encoding="utf-8") as f:
        while written < target:
            convs += 1
            model = rng.choice(CHAT_MODELS)
            sys_prompt = rng.choice(systems)
            history = [{"role": "system", "content": sys_prompt}]
            n = max(2, int(rng.gauss(turns, turns / 4)))
            t = t0 + convs * 3607 + rng.randint(0, 3600)
            task = "conv-%05d" % convs
            sys_toks = len(sys_prompt) // 4
            prev_prompt = 0
            for k in range(n):
                if written >= target:
                    break
                user = g.message(1, 3)
                answer = g.message(1, 5)
                msgs = history + [{"role": "user", "content": user}]
                chars = sum(len(m["content"]) for m in msgs)
                prompt_tokens = chars // 4 + 4 * len(msgs) + 3
                completion = len(answer) // 4 + 1
                # the previous request is the cached prefix (in whole 128-token blocks past 1024)
                cached = 0
                if prev_prompt >= 1024 and rng.random() < 0.85:
                    cached = 1024 + (prev_prompt - 1024) // 128 * 128
                elif sys_toks >= 1024:
                    cached = 1024
                t += rng.randint(8, 240)
                line = json.dumps({
                    "timestamp": t,
                    "request": {"model": model.rsplit("-", 3)[0], "user": task, "messages": msgs},
                    "response": {"id": "chatcmpl-%d" % records, "object": "chat.completion", "created": t,
                                 "model": model,
                                 "choices": [{"index": 0, "message": {"role": "assistant", "content": answer},
                                              "finish_reason": "stop"}],
                                 "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": completion,
                                           "total_tokens": prompt_tokens + completion,
                                           "prompt_tokens_details": {"cached_tokens": min(cached, prompt_tokens)}}},
                }, ensure_ascii=False)
                f.write(line + "\n")
                b = len(line.encode("utf-8")) + 1
                written += b
                max_line = max(max_line, b)
                records += 1
                prev_prompt = prompt_tokens
                history = msgs + [{"role": "assistant", "content": answer}]
    return {"bytes": os.path.getsize(path), "records": records, "conversations": convs,
            "requests_per_conversation": round(records / max(1, convs), 1), "max_line_bytes": max_line}


# --------------------------------------------------------------------------
# Claude Code tree (ccusage_compare.py's generator)
# --------------------------------------------------------------------------

def _ccusage_compare():
    sys.path.insert(0, HERE)
    import ccusage_compare  # noqa: E402
    return ccusage_compare


def cc_args(mb, seed=CC_SEED):
    """ccusage_compare.py's defaults with --mb."""
    return types.SimpleNamespace(sessions=12, lines_per_session=60, mb=mb, days=5, start="2025-10-28", seed=seed)


def gen_cc(root, mb, seed=CC_SEED):
    cc = _ccusage_compare()
    g = cc.generate(root, cc_args(mb, seed))
    exp, _, _ = g.expected()
    return {"bytes": g.bytes, "files": g.files, "lines": g.lines, "expected_records": len(g.calls),
            "expected_total_tokens": sum(d["total"] for d in exp.values()),
            "stats": dict(sorted(g.stats.items()))}


# --------------------------------------------------------------------------
# cache
# --------------------------------------------------------------------------

def _src_hash(*objs):
    h = hashlib.sha1()
    for o in objs:
        h.update(inspect.getsource(o).encode())
    return h.hexdigest()[:8]


def source_hash(kind):
    """Hash of the code (and word lists) that writes a corpus: editing a
    generator gives the corpus a new name, so a stale one is never reused."""
    if kind == "cc":
        cc = _ccusage_compare()
        h = _src_hash(cc.Gen, cc.generate, cc.s_path, cc_args, gen_cc)
        data = repr((cc.MODELS, cc.SUBAGENT_MODELS, cc.LEGACY_RATES, cc.PROJECTS, cc.WORDS, cc.CODE_LINES, cc.TOOLS))
        return hashlib.sha1(h.encode() + data.encode()).hexdigest()[:8]
    objs = (zipf_cum, Vocab, make_words, latin_syllable, table_syllable, devanagari_syllable, hangul_syllable, TextGen,
            text_stats)
    data = repr((ENGLISH, EMOJI_RANGES, SKIN, CHAT_MODELS)).encode()
    h = _src_hash(gen_text if kind == "text" else gen_chat, *objs)
    return hashlib.sha1(h.encode() + data).hexdigest()[:8]


def _fmt_mb(mb):
    return ("%g" % mb).replace(".", "p")


def corpus_path(kind, mb, seed, bench_dir=BENCH_DIR):
    ext = {"text": ".txt", "chat": ".jsonl", "cc": ""}[kind]
    h = source_hash(kind)
    return os.path.join(bench_dir, "%s-%smb-s%d-%s%s" % (
        {"text": "text-unique", "chat": "chat-history", "cc": "cc-tree"}[kind], _fmt_mb(mb), seed, h, ext))


def cached_corpus(kind, mb, seed=None, bench_dir=BENCH_DIR, log=sys.stderr):
    """Path and metadata of a corpus; generates it when missing. For `cc` the
    path is the tree root (reports read `<root>/projects`)."""
    seed = {"text": TEXT_SEED, "chat": CHAT_SEED, "cc": CC_SEED}[kind] if seed is None else seed
    path = corpus_path(kind, mb, seed, bench_dir)
    meta_path = path + ".meta.json"
    if os.path.exists(path) and os.path.exists(meta_path):
        with open(meta_path) as f:
            return path, json.load(f)
    os.makedirs(bench_dir, exist_ok=True)
    tmp = path + ".partial"
    if os.path.isdir(tmp):
        shutil.rmtree(tmp)
    elif os.path.exists(tmp):
        os.remove(tmp)
    print("generating %s corpus (%g MiB, seed %d) -> %s" % (kind, mb, seed, os.path.relpath(path, ROOT)),
          file=log, flush=True)
    t = time.perf_counter()
    meta = {"text": gen_text, "chat": gen_chat, "cc": gen_cc}[kind](tmp, mb, seed)
    meta.update({"kind": kind, "mb": mb, "seed": seed, "generator": os.path.basename(path).rsplit("-", 1)[-1].split(".")[0],
                 "generated_in_s": round(time.perf_counter() - t, 1)})
    if os.path.isdir(path):
        shutil.rmtree(path)
    os.replace(tmp, path)
    with open(meta_path + ".partial", "w") as f:
        json.dump(meta, f, indent=1)
    os.replace(meta_path + ".partial", meta_path)
    print("  done in %.1fs" % meta["generated_in_s"], file=log, flush=True)
    return path, meta


def main():
    ap = argparse.ArgumentParser(description="Generate (or find) a cached benchmark corpus; prints its path and metadata.")
    ap.add_argument("kind", choices=["text", "chat", "cc"])
    ap.add_argument("mb", type=float)
    ap.add_argument("--seed", type=int)
    ap.add_argument("--bench-dir", default=BENCH_DIR)
    a = ap.parse_args()
    path, meta = cached_corpus(a.kind, a.mb, a.seed, a.bench_dir)
    print(path)
    print(json.dumps(meta, indent=1, ensure_ascii=False))


if __name__ == "__main__":
    main()
