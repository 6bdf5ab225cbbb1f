//! Glob matching for budget files. Model and task patterns (`gpt-4o*`)
//! use `*` and `?` alone, matched here (per record, without compiling).
//! File patterns use the `globset` crate's syntax (ripgrep's): `*` and `?`
//! within a path segment, `**` across segments, `{md,txt}` alternatives,
//! `[abc]` classes, and `\` escapes.

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
    if !pattern.contains(['*', '?', '[', '{']) {
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
    let glob = globset::GlobBuilder::new(pattern)
        .literal_separator(true)
        .backslash_escape(true)
        .build()
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, format!("not a glob: {e}")))?
        .compile_matcher();
    let mut out = Vec::new();
    let dir = if base.as_os_str().is_empty() {
        Path::new(".")
    } else {
        base
    };
    walk(dir, dir, pattern, &glob, &mut out)?;
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

fn walk(
    base: &Path,
    dir: &Path,
    pattern: &str,
    glob: &globset::GlobMatcher,
    out: &mut Vec<PathBuf>,
) -> io::Result<()> {
    for e in fs::read_dir(dir)? {
        let e = e?;
        let name = e.file_name();
        let name = name.to_string_lossy();
        if name.starts_with('.') && !pattern.contains("/.") && !pattern.starts_with('.') {
            continue;
        }
        let path = e.path();
        if path.is_dir() {
            walk(base, &path, pattern, glob, out)?;
        } else if let Ok(rel) = path.strip_prefix(base) {
            let rel = rel.to_string_lossy().replace('\\', "/");
            if glob.is_match(&rel) {
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
        // The globset syntax `files()` compiles, on relative paths.
        let m = |pattern: &str, path: &str| {
            globset::GlobBuilder::new(pattern)
                .literal_separator(true)
                .backslash_escape(true)
                .build()
                .unwrap()
                .compile_matcher()
                .is_match(path)
        };
        assert!(m("prompts/**/*.md", "prompts/a.md"));
        assert!(m("prompts/**/*.md", "prompts/x/y/a.md"));
        assert!(!m("prompts/*.md", "prompts/x/a.md"));
        assert!(m("**/AGENTS.md", "AGENTS.md"));
        assert!(m("**/AGENTS.md", "sub/AGENTS.md"));
        assert!(!m("*.md", "sub/a.md"));
        assert!(m("prompts/*.{md,txt}", "prompts/a.txt"));
        assert!(m("prompts/[ab].md", "prompts/b.md"));
        assert!(!m("prompts/[ab].md", "prompts/c.md"));
        assert!(m("prompts/\\*.md", "prompts/*.md"));
        assert!(!m("prompts/\\*.md", "prompts/a.md"));
    }
}
