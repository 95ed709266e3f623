//! chainmeter's exit codes, one place for every command.

/// The run failed, was aborted, is incomplete or failed its verification
/// (what it measured is still written); a gate found a regression.
pub const RUN_FAILED: u8 = 1;
/// Bad input: a scenario, flag or file that cannot be used.
pub const BAD_INPUT: u8 = 2;
/// `ab`: no rule broke, but some could not be decided (too few pairs, the
/// pairs disagree, the interval straddles the bound): neither a pass nor a fail.
pub const UNDECIDED: u8 = 3;
/// Interrupted by Ctrl-C, as shells expect (128 + SIGINT).
pub const INTERRUPTED: u8 = 130;
/// Terminated by SIGTERM (128 + SIGTERM); the result is still written.
pub const TERMINATED: u8 = 143;
