//! Model-name normalization and name keys (pricing/README.md, "Name
//! matching"). Plain std only: `build.rs` includes this file to index the
//! imported tables at build time with exactly the keys the book looks up.

/// Provider/router prefixes stripped (repeatedly) before matching.
const PREFIXES: &[&str] = &[
    "openai/",
    "anthropic/",
    "anthropic.",
    "bedrock/",
    "bedrock_converse/",
    "vertex_ai/",
    "vertex_ai_beta/",
    "gemini/",
    "google/",
    "models/",
    "azure/",
];

/// Bedrock cross-region inference profile prefixes (`us.anthropic.…`).
const BEDROCK_REGIONS: &[&str] = &[
    "us.", "us-gov.", "eu.", "apac.", "jp.", "au.", "ca.", "global.",
];

/// Normalize a logged model name for matching (see `pricing/README.md`):
/// lowercase, trim, strip provider prefixes, Bedrock `-vN:M` suffixes, and
/// turn Vertex `@` into `-`.
pub fn normalize(name: &str) -> String {
    let lower = name.trim().to_lowercase();
    let mut s: &str = &lower;
    loop {
        let before = s.len();
        if let Some(rest) = s.strip_prefix("openrouter/") {
            // openrouter/<vendor>/<model>
            s = rest.split_once('/').map_or(rest, |(_, m)| m);
        }
        for p in PREFIXES {
            if let Some(rest) = s.strip_prefix(p) {
                s = rest;
            }
        }
        for r in BEDROCK_REGIONS {
            if let Some(rest) = s.strip_prefix(r)
                && let Some(rest) = rest.strip_prefix("anthropic.")
            {
                s = rest;
            }
        }
        if s.len() == before {
            break;
        }
    }
    let mut out = s.trim().replace('@', "-");
    if let Some(base) = strip_bedrock_version(&out) {
        out.truncate(base);
    }
    out
}

/// Length of `s` without a trailing Bedrock version `-v<digits>:<digits>`.
fn strip_bedrock_version(s: &str) -> Option<usize> {
    let (head, tail) = s.rsplit_once("-v")?;
    let (major, minor) = tail.split_once(':')?;
    let digits = |x: &str| !x.is_empty() && x.bytes().all(|b| b.is_ascii_digit());
    (digits(major) && digits(minor) && !head.is_empty()).then_some(head.len())
}

/// Strip one dated-snapshot suffix: `-YYYY-MM-DD`, `-YYYYMMDD` or `-latest`.
/// Preview suffixes (`-preview-04-17`) are deliberately kept: previews are
/// priced differently from the GA model.
pub fn strip_date_suffix(s: &str) -> Option<&str> {
    if let Some(base) = s.strip_suffix("-latest") {
        return (!base.is_empty()).then_some(base);
    }
    let b = s.as_bytes();
    let is_digits = |r: &[u8]| r.iter().all(u8::is_ascii_digit);
    // -YYYY-MM-DD
    if b.len() > 11 {
        let t = &b[b.len() - 11..];
        if t[0] == b'-'
            && t[5] == b'-'
            && t[8] == b'-'
            && is_digits(&t[1..5])
            && is_digits(&t[6..8])
            && is_digits(&t[9..11])
            && t[1..3] == *b"20"
        {
            return Some(&s[..s.len() - 11]);
        }
    }
    // -YYYYMMDD
    if b.len() > 9 {
        let t = &b[b.len() - 9..];
        if t[0] == b'-' && is_digits(&t[1..]) && t[1..3] == *b"20" {
            return Some(&s[..s.len() - 9]);
        }
    }
    None
}

/// A table name that says which region or cloud partition served the
/// request (a Bedrock inference profile `us.anthropic.…`, a Bedrock region
/// path `bedrock/us-gov-west-1/…`): such routes are priced apart (Bedrock's
/// geographic profiles cost about 10 % more than the global one), so the name
/// matches only itself, before normalization would strip the region. The key
/// is the lowercased name, `@` as `-`, and any leading `bedrock/` or
/// `bedrock_converse/` router prefix removed unless a region path follows.
pub fn channel_key(name: &str) -> Option<String> {
    // Most names are not channel names: say so before allocating.
    let t = name.trim_start().as_bytes();
    let head = &t[..t.len().min(8)];
    let maybe = head.len() >= 3
        && (head[..3].eq_ignore_ascii_case(b"bed")
            || BEDROCK_REGIONS.iter().any(|r| {
                head.len() >= r.len() && head[..r.len()].eq_ignore_ascii_case(r.as_bytes())
            }));
    if !maybe {
        return None;
    }
    let lower = name.trim().to_lowercase().replace('@', "-");
    let mut s: &str = &lower;
    for p in ["bedrock_converse/", "bedrock/"] {
        if let Some(rest) = s.strip_prefix(p) {
            if rest.contains('/') {
                // `bedrock/<region>/<model>`: the region is the channel.
                return Some(format!("bedrock/{rest}"));
            }
            s = rest;
        }
    }
    let (head, rest) = s.split_once('.')?;
    let region = &s[..head.len() + 1];
    // The global profile costs the list price: it is the model itself.
    (region != "global." && BEDROCK_REGIONS.contains(&region) && !rest.is_empty())
        .then(|| s.to_string())
}

/// The key a table name is indexed under: its channel key (marked, so it
/// never equals a normalized name) or its normalized form.
pub fn name_key(name: &str) -> String {
    channel_key(name).map_or_else(|| normalize(name), |k| format!("@{k}"))
}

/// One model of a generated table, as `prices import` writes it
/// (price/write.rs): it starts at a `[[model]]` line, and its `id` and
/// `names` are single lines before its first `[[model.price]]`.
#[cfg_attr(not(test), allow(dead_code))]
pub struct Block {
    /// Byte range of the model's TOML in the table.
    pub start: usize,
    pub end: usize,
    pub id: String,
    pub names: Vec<String>,
}

/// The models of a generated table, without parsing their prices.
#[cfg_attr(not(test), allow(dead_code))]
pub fn blocks(text: &str) -> Vec<Block> {
    const START: &str = "\n[[model]]\n";
    let mut starts: Vec<usize> = text.match_indices(START).map(|(i, _)| i + 1).collect();
    if text.starts_with(&START[1..]) {
        starts.insert(0, 0);
    }
    let mut out = Vec::with_capacity(starts.len());
    for (k, &start) in starts.iter().enumerate() {
        let end = starts.get(k + 1).copied().unwrap_or(text.len());
        let block = &text[start..end];
        let head = block.find("[[model.price]]").map_or(block, |i| &block[..i]);
        let mut id = String::new();
        let mut names = Vec::new();
        for line in head.lines() {
            if let Some(v) = line.strip_prefix("id = ") {
                id = basic_strings(v).into_iter().next().unwrap_or_default();
            } else if let Some(v) = line.strip_prefix("names = ") {
                names = basic_strings(v);
            }
        }
        out.push(Block {
            start,
            end,
            id,
            names,
        });
    }
    out
}

/// The TOML basic strings on one line (`"a"` or `["a", "b"]`), unescaped
/// as price/write.rs escapes them.
#[cfg_attr(not(test), allow(dead_code))]
fn basic_strings(v: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut chars = v.chars();
    while let Some(c) = chars.next() {
        if c != '"' {
            continue;
        }
        let mut s = String::new();
        while let Some(c) = chars.next() {
            match c {
                '"' => break,
                '\\' => match chars.next() {
                    Some('n') => s.push('\n'),
                    Some('t') => s.push('\t'),
                    Some('r') => s.push('\r'),
                    Some('u') => {
                        let hex: String = chars.by_ref().take(4).collect();
                        if let Some(c) = u32::from_str_radix(&hex, 16).ok().and_then(char::from_u32)
                        {
                            s.push(c);
                        }
                    }
                    Some(other) => s.push(other),
                    None => break,
                },
                c => s.push(c),
            }
        }
        out.push(s);
    }
    out
}
