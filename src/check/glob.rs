//! Glob matching for budget files: `*` and `?` within a name or path
//! segment, `**` across path segments. Small enough not to need a crate,
//! and the same rules apply to model names, task ids and file paths.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

/// `*` any run of characters, `?` one character; everything else literal.
/// For model and task patterns (`gpt-4o*`, `support-*`), where `/` is an
/// ordinary character.
pub fn matches(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    // Iterative wildcard match with one backtrack point: linear in
    // practice, never exponential.
    let (mut pi, mut ti) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some((pi, ti));
            pi += 1;
        } else if let Some((sp, st)) = star {
            pi = sp + 1;
            ti = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    while pi < p.len() && p[pi] == '*' {
        pi += 1;
    }
    pi == p.len()
}

/// Match a `/`-separated relative path against a pattern whose segments
/// are [`matches`] patterns, where a `**` segment matches any number of
/// segments (zero included).
pub fn matches_path(pattern: &str, path: &str) -> bool {
    let p: Vec<&str> = pattern.split('/').filter(|s| !s.is_empty()).collect();
    let s: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    fn go(p: &[&str], s: &[&str]) -> bool {
        match p.split_first() {
            None => s.is_empty(),
            Some((&"**", rest)) => (0..=s.len()).any(|i| go(rest, &s[i..])),
            Some((seg, rest)) => !s.is_empty() && matches(seg, s[0]) && go(rest, &s[1..]),
        }
    }
    go(&p, &s)
}

/// Files under `base` whose path relative to `base` matches `pattern`, in
/// sorted order. Hidden entries are skipped unless the pattern names them.
/// A pattern without wildcards names one file (which must exist).
pub fn files(base: &Path, pattern: &str) -> io::Result<Vec<PathBuf>> {
    // `./x` reads better as `x` in reports and annotations.
    let base = if base == Path::new(".") {
        Path::new("")
    } else {
        base
    };
    if !pattern.contains(['*', '?']) {
        let p = base.join(pattern);
        return if p.is_file() {
            Ok(vec![p])
        } else {
            Err(io::Error::new(
                io::ErrorKind::NotFound,
                format!("{} does not exist", p.display()),
            ))
        };
    }
    let mut out = Vec::new();
    let dir = if base.as_os_str().is_empty() {
        Path::new(".")
    } else {
        base
    };
    walk(dir, dir, pattern, &mut out)?;
    if base.as_os_str().is_empty() {
        for p in &mut out {
            if let Ok(rel) = p.strip_prefix(".") {
                *p = rel.to_path_buf();
            }
        }
    }
    out.sort();
    Ok(out)
}

fn walk(base: &Path, dir: &Path, pattern: &str, out: &mut Vec<PathBuf>) -> io::Result<()> {
    for e in fs::read_dir(dir)? {
        let e = e?;
        let name = e.file_name();
        let name = name.to_string_lossy();
        if name.starts_with('.') && !pattern.contains("/.") && !pattern.starts_with('.') {
            continue;
        }
        let path = e.path();
        if path.is_dir() {
            walk(base, &path, pattern, out)?;
        } else if let Ok(rel) = path.strip_prefix(base) {
            let rel = rel.to_string_lossy().replace('\\', "/");
            if matches_path(pattern, &rel) {
                out.push(path);
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn name_globs() {
        assert!(matches("gpt-4o*", "gpt-4o-2024-08-06"));
        assert!(matches("gpt-4o*", "gpt-4o"));
        assert!(!matches("gpt-4o*", "gpt-4.1"));
        assert!(matches("*sonnet*", "claude-sonnet-4-5"));
        assert!(matches("task-?", "task-7"));
        assert!(!matches("task-?", "task-17"));
        assert!(matches("*", ""));
        assert!(matches("a*b*c", "a-xx-b-yy-c"));
        assert!(!matches("a*b*c", "a-xx-b-yy"));
        // Pathological patterns stay fast.
        let long = "a".repeat(5000);
        // (A single backtrack point keeps this quadratic at worst; an
        // exponential matcher would not finish.)
        let pattern = "*a".repeat(50) + "b";
        assert!(!matches(&pattern, &long));
        assert!(matches(&"*a".repeat(50), &long));
    }

    #[test]
    fn path_globs() {
        assert!(matches_path("prompts/**/*.md", "prompts/a.md"));
        assert!(matches_path("prompts/**/*.md", "prompts/x/y/a.md"));
        assert!(!matches_path("prompts/*.md", "prompts/x/a.md"));
        assert!(matches_path("**/AGENTS.md", "AGENTS.md"));
        assert!(matches_path("**/AGENTS.md", "sub/AGENTS.md"));
        assert!(!matches_path("*.md", "sub/a.md"));
    }
}
