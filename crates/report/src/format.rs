//! Human formatting of microseconds (amounts: [`chainmeter_result::FeeUnit::format`]).

/// Microseconds as seconds or milliseconds, three significant figures or so.
pub fn micros(us: u64) -> String {
    if us >= 1_000_000 {
        format!("{:.3} s", us as f64 / 1e6)
    } else if us >= 1_000 {
        format!("{:.1} ms", us as f64 / 1e3)
    } else {
        format!("{us} µs")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        assert_eq!(micros(512), "512 µs");
        assert_eq!(micros(51_234), "51.2 ms");
        assert_eq!(micros(1_234_567), "1.235 s");
    }
}
