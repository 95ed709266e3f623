//! The harness's own CPU time and memory, from `getrusage`.

use std::time::Duration;

/// CPU time and peak memory of this process at one moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProcessUsage {
    /// User + system CPU time since the process started.
    pub cpu: Duration,
    /// Peak resident set size since the process started or since the last
    /// [`reset_peak_rss`], bytes.
    pub max_rss_bytes: u64,
}

/// Starts a new peak of resident memory (Linux: `5` to
/// `/proc/self/clear_refs`, which resets `VmHWM` to the current size), so
/// that one process running several runs (`--repeat`, a two-chain
/// scenario, `writes = "both"`) reports each run's own peak, not the
/// process's lifetime high-water mark. Returns false where it cannot.
pub fn reset_peak_rss() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}

/// `VmHWM` of this process, bytes: the peak that [`reset_peak_rss`] resets.
fn vm_hwm() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

impl ProcessUsage {
    /// Reads the usage of this process (all threads).
    pub fn now() -> Self {
        // SAFETY: getrusage writes a plain-data struct we own; a zeroed rusage is valid.
        let ru = unsafe {
            let mut ru: libc::rusage = std::mem::zeroed();
            libc::getrusage(libc::RUSAGE_SELF, &mut ru);
            ru
        };
        let tv = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000);
        Self {
            cpu: tv(ru.ru_utime) + tv(ru.ru_stime),
            // Linux reports kilobytes; getrusage's peak is never reset.
            max_rss_bytes: vm_hwm().unwrap_or(ru.ru_maxrss as u64 * 1024),
        }
    }
}

/// CPU time (user + system) another process has used so far, its waited-for
/// children included, from `/proc/<pid>/stat`; `None` when it cannot be read
/// (the process is gone, or this is not Linux).
pub fn cpu_of(pid: u32) -> Option<Duration> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name may hold spaces and parentheses: fields follow the last ')'.
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    // utime, stime, cutime, cstime: fields 14 to 17, the 12th to 15th after the name.
    let ticks: u64 = fields
        .get(11..15)?
        .iter()
        .map(|f| f.parse::<u64>().ok())
        .sum::<Option<u64>>()?;
    // SAFETY: sysconf only reads a configuration value.
    let per_s = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    (per_s > 0).then(|| Duration::from_secs_f64(ticks as f64 / per_s as f64))
}

/// How long `iters` runs of `work` take, each right after a `sleep`, the
/// sleeps left out: what work costs just after a wake-up, as a sender at
/// a low rate does it after every sleep (the send path's benches time a
/// signature so, beside the same signature back to back).
pub fn timed_after_sleeps(iters: u64, sleep: Duration, mut work: impl FnMut()) -> Duration {
    let mut timed = Duration::ZERO;
    for _ in 0..iters {
        std::thread::sleep(sleep);
        let started = std::time::Instant::now();
        work();
        timed += started.elapsed();
    }
    timed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn another_processs_cpu_is_read_from_proc() {
        let own = cpu_of(std::process::id()).expect("this process's stat");
        assert!(own <= ProcessUsage::now().cpu + Duration::from_millis(20));
        assert_eq!(cpu_of(u32::MAX), None);
    }

    #[test]
    fn cpu_time_grows_with_work() {
        let before = ProcessUsage::now();
        let mut x = 0u64;
        for i in 0..20_000_000u64 {
            x = x.wrapping_mul(31).wrapping_add(i);
        }
        std::hint::black_box(x);
        let after = ProcessUsage::now();
        assert!(after.cpu > before.cpu);
        assert!(after.max_rss_bytes > 0);
    }

    #[test]
    fn the_peak_resets_to_the_current_size() {
        // 64 MiB touched, then freed: the peak stays until it is reset.
        let big = vec![1u8; 64 << 20];
        std::hint::black_box(&big);
        drop(big);
        let high = ProcessUsage::now().max_rss_bytes;
        if reset_peak_rss() {
            let after = ProcessUsage::now().max_rss_bytes;
            assert!(after + (32 << 20) < high, "{after} vs {high}");
        }
    }
}
