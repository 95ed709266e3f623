//! The live progress line.

use chainmeter_core::recorder::Progress;
use chainmeter_report::format::micros;
use std::io::{IsTerminal, Write};

/// Prints progress to stderr: one line rewritten in place on a terminal, a
/// line every few seconds otherwise (CI logs).
#[derive(Debug)]
pub(crate) struct ProgressLine {
    quiet: bool,
    terminal: bool,
    planned: Option<u64>,
    drawn: bool,
}

/// On a non-terminal, print every this many seconds.
const LOG_EVERY_S: u64 = 5;

impl ProgressLine {
    pub(crate) fn new(quiet: bool, planned: Option<u64>) -> Self {
        Self {
            quiet,
            terminal: std::io::stderr().is_terminal(),
            planned,
            drawn: false,
        }
    }

    pub(crate) fn update(&mut self, p: &Progress) {
        if self.quiet || (!self.terminal && !p.elapsed.as_secs().is_multiple_of(LOG_EVERY_S)) {
            return;
        }
        let total = self.planned.map_or_else(String::new, |n| format!("/{n}"));
        let latency = p.first_level.map_or_else(String::new, |(level, p50, p99)| {
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
