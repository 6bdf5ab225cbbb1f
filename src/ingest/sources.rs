//! `--source claude-code|codex|gemini-cli|qwen-code|amp|opencode|kilo|pi|copilot-cli`: where coding agents keep their
//! logs, so `tokenmaxx report --source claude-code` works without a path.

use std::collections::BTreeSet;
use std::env;
use std::path::{Path, PathBuf};

use anyhow::{Result, bail};

/// A coding agent whose logs live in a known place.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AgentSource {
    /// Claude Code transcripts: `<config>/projects/**.jsonl`.
    ClaudeCode,
    /// Codex CLI rollouts: `<home>/sessions/**` and `<home>/archived_sessions/**`.
    Codex,
    /// Gemini CLI chats: `<home>/.gemini/tmp/<project>/chats/**`, home
    /// being `GEMINI_CLI_HOME` or the user's.
    GeminiCli,
    /// Qwen Code chats: `<runtime>/projects/<project>/chats/*.jsonl`, the
    /// runtime folder being `QWEN_RUNTIME_DIR` or `~/.qwen`.
    QwenCode,
    /// Amp threads: `$XDG_DATA_HOME/amp/threads` (`~/.local/share/amp/threads`).
    Amp,
    /// OpenCode: its databases `$XDG_DATA_HOME/opencode/opencode*.db` (with
    /// their write-ahead logs) and the older `storage/message/**.json`.
    OpenCode,
    /// Kilo CLI (an OpenCode fork; Kilo Code 7 in VS Code): its database
    /// `$XDG_DATA_HOME/kilo/kilo.db`, OpenCode's `message` table.
    Kilo,
    /// Pi sessions: `<agent>/sessions`, the agent folder being
    /// `PI_CODING_AGENT_DIR` or `~/.pi/agent`.
    Pi,
    /// GitHub Copilot CLI's OpenTelemetry file export: `~/.copilot/otel`
    /// (`COPILOT_HOME` moves `~/.copilot`).
    CopilotCli,
}

impl AgentSource {
    pub fn as_str(self) -> &'static str {
        match self {
            AgentSource::ClaudeCode => "claude-code",
            AgentSource::Codex => "codex",
            AgentSource::GeminiCli => "gemini-cli",
            AgentSource::QwenCode => "qwen-code",
            AgentSource::Amp => "amp",
            AgentSource::OpenCode => "opencode",
            AgentSource::Kilo => "kilo",
            AgentSource::Pi => "pi",
            AgentSource::CopilotCli => "copilot-cli",
        }
    }
}

/// Directories (and, for agents that keep a database, files) to read for
/// `source`, existing ones only, in a fixed order.
/// An error names every place looked at when none exists.
pub fn roots(source: AgentSource) -> Result<Vec<PathBuf>> {
    let home = env::var_os("HOME").map(PathBuf::from);
    let home = home.as_deref();
    let mut candidates = candidates(
        source,
        home,
        env::var("CLAUDE_CONFIG_DIR").ok().as_deref(),
        env::var_os("CODEX_HOME").map(PathBuf::from),
    );
    if source == AgentSource::GeminiCli {
        let base = env::var_os("GEMINI_CLI_HOME")
            .filter(|h| !h.is_empty())
            .map(PathBuf::from)
            .or_else(|| home.map(Path::to_path_buf))
            .map(|h| h.join(".gemini/tmp"));
        candidates = base.map(|b| chats_of_projects(&b)).unwrap_or_default();
    }
    if source == AgentSource::QwenCode {
        let base = env::var_os("QWEN_RUNTIME_DIR")
            .filter(|h| !h.is_empty())
            .map(PathBuf::from)
            .or_else(|| home.map(|h| h.join(".qwen")))
            .map(|r| r.join("projects"));
        candidates = base.map(|b| chats_of_projects(&b)).unwrap_or_default();
    }
    if source == AgentSource::OpenCode {
        candidates = xdg_data(home)
            .map(|d| opencode_stores(&d.join("opencode")))
            .unwrap_or_default();
    }
    let found: Vec<PathBuf> = candidates
        .iter()
        .filter(|p| p.is_dir() || p.is_file())
        .cloned()
        .collect();
    if found.is_empty() {
        let looked: Vec<String> = candidates.iter().map(|p| p.display().to_string()).collect();
        bail!(
            "--source {}: no log directory found (looked in {})",
            source.as_str(),
            if looked.is_empty() {
                "no place: HOME is not set".to_string()
            } else {
                looked.join(", ")
            }
        );
    }
    Ok(found)
}

/// `$XDG_DATA_HOME`, else `~/.local/share` (where Amp and OpenCode keep
/// their data on every platform).
fn xdg_data(home: Option<&Path>) -> Option<PathBuf> {
    env::var_os("XDG_DATA_HOME")
        .filter(|d| !d.is_empty())
        .map(PathBuf::from)
        .or_else(|| home.map(|h| h.join(".local/share")))
}

/// OpenCode's databases (`opencode.db`, a release channel's
/// `opencode-<channel>.db`, OpenCode 2's `opencode-next.db`), then the
/// message files of the store it used before 1.2. The databases come first:
/// they are the newer copy of anything the old files also hold.
fn opencode_stores(data: &Path) -> Vec<PathBuf> {
    let mut dbs: Vec<PathBuf> = std::fs::read_dir(data)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("opencode") && n.ends_with(".db"))
        })
        .collect();
    dbs.sort();
    if dbs.is_empty() {
        dbs.push(data.join("opencode.db"));
    }
    dbs.push(data.join("storage/message"));
    dbs
}

/// Each project's `chats` folder under `tmp` (Gemini CLI's `tmp`, Qwen
/// Code's `projects`; the rest holds logs without tokens); a placeholder
/// under `tmp` when it has none, so that the error names where it looked.
fn chats_of_projects(tmp: &Path) -> Vec<PathBuf> {
    let mut found: Vec<PathBuf> = std::fs::read_dir(tmp)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path().join("chats"))
        .filter(|p| p.is_dir())
        .collect();
    found.sort();
    if found.is_empty() {
        found.push(tmp.join("<project>/chats"));
    }
    found
}

fn candidates(
    source: AgentSource,
    home: Option<&Path>,
    claude_config_dir: Option<&str>,
    codex_home: Option<PathBuf>,
) -> Vec<PathBuf> {
    let mut out = Vec::new();
    match source {
        AgentSource::ClaudeCode => {
            // CLAUDE_CONFIG_DIR replaces the defaults; it may list several
            // directories separated by commas.
            match claude_config_dir.filter(|s| !s.trim().is_empty()) {
                Some(list) => {
                    for d in list.split(',').map(str::trim).filter(|d| !d.is_empty()) {
                        out.push(Path::new(d).join("projects"));
                    }
                }
                None => {
                    if let Some(h) = home {
                        out.push(h.join(".config/claude/projects"));
                        out.push(h.join(".claude/projects"));
                    }
                }
            }
        }
        // Listed from the disk by `roots`.
        AgentSource::GeminiCli | AgentSource::QwenCode | AgentSource::OpenCode => {}
        AgentSource::CopilotCli => {
            let base = std::env::var_os("COPILOT_HOME")
                .filter(|d| !d.is_empty())
                .map(PathBuf::from)
                .or_else(|| home.map(|h| h.join(".copilot")));
            if let Some(b) = base {
                out.push(b.join("otel"));
            }
        }
        AgentSource::Kilo => {
            if let Some(d) = xdg_data(home) {
                out.push(d.join("kilo/kilo.db"));
            }
        }
        AgentSource::Pi => {
            let agent = std::env::var_os("PI_CODING_AGENT_DIR")
                .filter(|d| !d.is_empty())
                .map(PathBuf::from)
                .or_else(|| home.map(|h| h.join(".pi/agent")));
            if let Some(a) = agent {
                out.push(a.join("sessions"));
            }
        }
        AgentSource::Amp => {
            if let Some(d) = xdg_data(home) {
                out.push(d.join("amp/threads"));
            }
        }
        AgentSource::Codex => {
            let base = codex_home.or_else(|| home.map(|h| h.join(".codex")));
            if let Some(b) = base {
                out.push(b.join("sessions"));
                out.push(b.join("archived_sessions"));
            }
        }
    }
    // The same directory named twice (a symlinked config) is read once.
    let mut seen = BTreeSet::new();
    out.retain(|p| seen.insert(p.canonicalize().unwrap_or_else(|_| p.clone())));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn claude_config_dir_is_a_comma_list_that_replaces_defaults() {
        let c = candidates(
            AgentSource::ClaudeCode,
            Some(Path::new("/home/a")),
            Some("/x, /y"),
            None,
        );
        assert_eq!(
            c,
            vec![PathBuf::from("/x/projects"), PathBuf::from("/y/projects")]
        );
        let c = candidates(
            AgentSource::ClaudeCode,
            Some(Path::new("/home/a")),
            None,
            None,
        );
        assert_eq!(
            c,
            vec![
                PathBuf::from("/home/a/.config/claude/projects"),
                PathBuf::from("/home/a/.claude/projects")
            ]
        );
    }

    #[test]
    fn codex_home_overrides_the_default() {
        let c = candidates(
            AgentSource::Codex,
            Some(Path::new("/home/a")),
            None,
            Some(PathBuf::from("/cx")),
        );
        assert_eq!(
            c,
            vec![
                PathBuf::from("/cx/sessions"),
                PathBuf::from("/cx/archived_sessions")
            ]
        );
    }
}
