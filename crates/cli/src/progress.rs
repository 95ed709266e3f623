//! How a run's progress is shown on stderr: the human line, rewritten in
//! place on a terminal, or `--progress json`, a JSON object a second and a
//! final line with the run's headline
//! ([`chainmeter_result::progress::ProgressEvent`]).

use chainmeter_core::recorder::Progress;
use chainmeter_report::format::micros;
use chainmeter_result::{
    progress::{Final, LevelSoFar, ProgressEvent, Snapshot},
    run::RunResult,
};
use std::{
    io::{IsTerminal, Write},
    path::Path,
};

/// `--progress`: how progress is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub(crate) enum ProgressMode {
    /// The human line on a terminal; nothing where stderr is not one.
    #[default]
    Auto,
    /// The human line: in place on a terminal, else a line every 5 s.
    Human,
    /// A JSON object a line, about once a second, then a final line with
    /// the run's headline (schemas/progress.schema.json).
    Json,
    /// Nothing.
    None,
}

impl ProgressMode {
    /// The mode in effect: `auto` decided by stderr, and `-q` silencing
    /// what was not asked for by name.
    pub(crate) fn resolve(self, quiet: bool) -> Self {
        match self {
            Self::Auto if quiet || !std::io::stderr().is_terminal() => Self::None,
            Self::Auto => Self::Human,
            mode => mode,
        }
    }
}

/// Prints progress to stderr in the mode asked.
#[derive(Debug)]
pub(crate) struct ProgressLine {
    mode: ProgressMode,
    terminal: bool,
    chain: String,
    planned: Option<u64>,
    drawn: bool,
}

/// On a non-terminal, a human line every this many seconds.
const LOG_EVERY_S: u64 = 5;

impl ProgressLine {
    /// `mode` already resolved.
    pub(crate) fn new(mode: ProgressMode, chain: &str, planned: Option<u64>) -> Self {
        Self {
            mode,
            terminal: std::io::stderr().is_terminal(),
            chain: chain.to_owned(),
            planned,
            drawn: false,
        }
    }

    pub(crate) fn update(&mut self, p: &Progress) {
        match self.mode {
            ProgressMode::Json => print_line(&ProgressEvent::Progress(self.snapshot(p))),
            ProgressMode::Human => self.human(p),
            ProgressMode::Auto | ProgressMode::None => {}
        }
    }

    /// The run's result is written: in JSON, its headline as the last line.
    pub(crate) fn result(&mut self, r: &RunResult, path: &Path) {
        if self.mode == ProgressMode::Json {
            print_line(&ProgressEvent::Final(Final::of(r, Some(path))));
        }
    }

    fn snapshot(&self, p: &Progress) -> Snapshot {
        let ms = |us: u64| us as f64 / 1e3;
        Snapshot {
            chain: self.chain.clone(),
            elapsed_s: p.elapsed.as_secs_f64(),
            stage: p.stage.clone(),
            offered_last_s: p.offered_last_s,
            landed_last_s: p.landed_last_s,
            sent: p.sent,
            landed: p.landed,
            failed: p.failed,
            rejected: p.rejected,
            in_flight: p.in_flight as u64,
            levels: p
                .levels
                .iter()
                .map(|&(level, p50, p99)| LevelSoFar {
                    level,
                    p50_ms: ms(p50),
                    p99_ms: ms(p99),
                })
                .collect(),
        }
    }

    fn human(&mut self, p: &Progress) {
        if !self.terminal && !p.elapsed.as_secs().is_multiple_of(LOG_EVERY_S) {
            return;
        }
        let total = self.planned.map_or_else(String::new, |n| format!("/{n}"));
        let latency = p
            .levels
            .first()
            .map_or_else(String::new, |&(level, p50, p99)| {
                format!("  {level} p50 {} p99 {}", micros(p50), micros(p99))
            });
        let rejected = if p.rejected > 0 {
            format!("  rejected {}", p.rejected)
        } else {
            String::new()
        };
        let stage = p
            .stage
            .as_ref()
            .map_or_else(String::new, |s| format!("  [{s}]"));
        let line = format!(
            "{:>5}s{stage}  sent {}{total}  offered {}/s  landed {}/s  in flight {}{latency}{rejected}",
            p.elapsed.as_secs(),
            p.sent,
            p.offered_last_s,
            p.landed_last_s,
            p.in_flight,
        );
        let mut err = std::io::stderr().lock();
        if self.terminal {
            let _ = write!(err, "\r\x1b[2K{line}");
        } else {
            let _ = writeln!(err, "{line}");
        }
        let _ = err.flush();
        self.drawn = true;
    }

    pub(crate) fn finish(&mut self) {
        if self.terminal && self.drawn {
            eprintln!();
        }
        self.drawn = false;
    }
}

/// One JSON line on stderr, whole: a reader never sees half of one.
fn print_line(event: &ProgressEvent) {
    let Ok(mut line) = serde_json::to_string(event) else {
        return;
    };
    line.push('\n');
    let mut err = std::io::stderr().lock();
    let _ = err.write_all(line.as_bytes());
    let _ = err.flush();
}
