//! `--trace`: every transaction's intended and actual send, every head and
//! every level a transaction reached, as JSON lines stamped in wall-clock
//! nanoseconds, so that chainmeter's timing can be checked against another
//! client watching the same node (the end-to-end tests do).
//!
//! ```text
//! {"seq":7,"sched_ns":…,"sent_ns":…}
//! {"head":42,"at_ns":…}
//! {"seq":7,"level":"included","at_ns":…}
//! ```

use crate::chain::{ChainEvent, TxSeq};
use std::{
    io::{BufWriter, Write},
    time::Instant,
};
use time::OffsetDateTime;

/// A run's trace, written as it goes.
pub(super) struct Trace {
    out: BufWriter<Box<dyn Write + Send>>,
    start: Instant,
    /// `start` on the wall clock, nanoseconds since the Unix epoch.
    start_ns: i128,
    /// A write failed: the trace stops there, the run goes on.
    failed: bool,
}

impl std::fmt::Debug for Trace {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Trace")
            .field("start_ns", &self.start_ns)
            .field("failed", &self.failed)
            .finish_non_exhaustive()
    }
}

impl Trace {
    /// A trace into `out`, whose clock reads `started_at` at `start`.
    pub(super) fn new(
        out: Box<dyn Write + Send>,
        start: Instant,
        started_at: OffsetDateTime,
    ) -> Self {
        Self {
            out: BufWriter::new(out),
            start,
            start_ns: started_at.unix_timestamp_nanos(),
            failed: false,
        }
    }

    /// `at` on the wall clock (an instant before the start comes out
    /// earlier, not clamped).
    fn ns(&self, at: Instant) -> i128 {
        match at.checked_duration_since(self.start) {
            Some(d) => self.start_ns + d.as_nanos() as i128,
            None => self.start_ns - self.start.duration_since(at).as_nanos() as i128,
        }
    }

    fn line(&mut self, line: std::fmt::Arguments<'_>) {
        if !self.failed && writeln!(self.out, "{line}").is_err() {
            self.failed = true;
        }
    }

    /// Transaction `seq`, due at `sched`, was handed to the submitter at `sent`.
    pub(super) fn sent(&mut self, seq: TxSeq, sched: Instant, sent: Instant) {
        let (sched, sent) = (self.ns(sched), self.ns(sent));
        self.line(format_args!(
            "{{\"seq\":{seq},\"sched_ns\":{sched},\"sent_ns\":{sent}}}"
        ));
    }

    /// A head, or a level reached; other events are not traced.
    pub(super) fn event(&mut self, event: &ChainEvent) {
        match *event {
            ChainEvent::Head { number, at } => {
                let at = self.ns(at);
                self.line(format_args!("{{\"head\":{number},\"at_ns\":{at}}}"));
            }
            ChainEvent::Reached { seq, level, at } => {
                let at = self.ns(at);
                self.line(format_args!(
                    "{{\"seq\":{seq},\"level\":\"{level}\",\"at_ns\":{at}}}"
                ));
            }
            _ => {}
        }
    }

    /// Everything written out.
    pub(super) fn finish(mut self) {
        let _ = self.out.flush();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chainmeter_result::level::Level;
    use std::time::Duration;

    #[test]
    fn lines_are_json_on_the_wall_clock() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("trace.jsonl");
        let start = Instant::now() + Duration::from_secs(1);
        let at_start = OffsetDateTime::from_unix_timestamp(1_000).unwrap();
        let file = std::fs::File::create(&path).unwrap();
        let mut t = Trace::new(Box::new(file), start, at_start);
        t.sent(3, start, start + Duration::from_micros(5));
        t.event(&ChainEvent::Head {
            number: 9,
            at: start - Duration::from_millis(2),
        });
        t.event(&ChainEvent::Reached {
            seq: 3,
            level: Level::new("included"),
            at: start + Duration::from_millis(500),
        });
        t.event(&ChainEvent::Expired { seq: 4 });
        t.finish();
        let text = std::fs::read_to_string(&path).unwrap();
        let lines: Vec<serde_json::Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        let s = 1_000_000_000_000i64;
        assert_eq!(
            lines,
            [
                serde_json::json!({"seq": 3, "sched_ns": s, "sent_ns": s + 5_000}),
                serde_json::json!({"head": 9, "at_ns": s - 2_000_000}),
                serde_json::json!({"seq": 3, "level": "included", "at_ns": s + 500_000_000}),
            ]
        );
    }
}
