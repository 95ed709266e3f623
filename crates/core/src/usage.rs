//! The harness's own CPU time and memory, from `getrusage`.

use std::time::Duration;

/// CPU time and peak memory of this process at one moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProcessUsage {
    /// User + system CPU time since the process started.
    pub cpu: Duration,
    /// Peak resident set size, bytes.
    pub max_rss_bytes: u64,
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
            // Linux reports kilobytes.
            max_rss_bytes: ru.ru_maxrss as u64 * 1024,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
