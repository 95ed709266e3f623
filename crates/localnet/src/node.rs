//! A running local validator, as a guard that stops it when dropped.

use crate::LocalnetError;
use std::{
    fs::File,
    io::{BufRead, BufReader},
    os::unix::process::CommandExt,
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

/// How long a stopped validator gets to exit after SIGTERM before SIGKILL.
const STOP_GRACE: Duration = Duration::from_secs(5);
pub(crate) const POLL: Duration = Duration::from_millis(50);

/// A validator started by chainmeter. Dropping it stops its whole process group.
#[derive(Debug)]
pub struct Node {
    pub(crate) name: &'static str,
    pub(crate) child: Arc<Mutex<Child>>,
    pub(crate) pid: u32,
    pub(crate) rpc_url: String,
    pub(crate) ws_url: String,
    pub(crate) binary: PathBuf,
    pub(crate) version: String,
    pub(crate) log: PathBuf,
    /// The ledger, kept so that it lives exactly as long as the node.
    pub(crate) ledger: Option<tempfile::TempDir>,
}

impl Node {
    /// JSON-RPC URL (loopback).
    pub fn rpc_url(&self) -> &str {
        &self.rpc_url
    }
    /// WebSocket URL (loopback).
    pub fn ws_url(&self) -> &str {
        &self.ws_url
    }
    /// The binary that runs.
    pub fn binary(&self) -> &Path {
        &self.binary
    }
    /// The first line of its `--version`.
    pub fn version(&self) -> &str {
        &self.version
    }
    /// Its log file.
    pub fn log(&self) -> &Path {
        &self.log
    }
    /// Its process id (also its process group id).
    pub fn pid(&self) -> u32 {
        self.pid
    }

    /// Resolves when the validator exits, with a description of how.
    pub fn exited(&self) -> impl std::future::Future<Output = String> + Send + 'static {
        let (name, child, log) = (self.name, self.child.clone(), self.log.clone());
        async move {
            loop {
                if let Some(status) = try_status(&child) {
                    return format!(
                        "{name} exited unexpectedly ({status}); see {}",
                        log.display()
                    );
                }
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        }
    }

    fn try_status(&self) -> Option<String> {
        try_status(&self.child)
    }

    /// Stops the validator's process group: SIGTERM, then SIGKILL after a grace period.
    pub fn stop(&self) {
        let mut child = self.child.lock().unwrap_or_else(|e| e.into_inner());
        if matches!(child.try_wait(), Ok(Some(_))) {
            // The leader is gone; its group may not be (e.g. a wrapper's child).
            signal_group(self.pid, libc::SIGKILL);
            return;
        }
        signal_group(self.pid, libc::SIGTERM);
        let deadline = Instant::now() + STOP_GRACE;
        while Instant::now() < deadline {
            if matches!(child.try_wait(), Ok(Some(_))) {
                signal_group(self.pid, libc::SIGKILL);
                return;
            }
            std::thread::sleep(POLL);
        }
        signal_group(self.pid, libc::SIGKILL);
        let _ = child.wait();
    }
}

fn try_status(child: &Mutex<Child>) -> Option<String> {
    let mut child = child.lock().unwrap_or_else(|e| e.into_inner());
    match child.try_wait() {
        Ok(Some(status)) => Some(status.to_string()),
        Ok(None) => None,
        Err(e) => Some(format!("cannot wait for it: {e}")),
    }
}

impl Node {
    /// The node as chainmeter's runs see it: its addresses and binary, and
    /// this guard as its process.
    pub fn into_local(self) -> chainmeter_core::plugin::LocalNode {
        chainmeter_core::plugin::LocalNode {
            rpc_url: self.rpc_url.clone(),
            ws_url: self.ws_url.clone(),
            binary: self.binary.clone(),
            version: self.version.clone(),
            log: self.log.clone(),
            pid: self.pid,
            data_dir: self.ledger.as_ref().map(|l| l.path().to_owned()),
            process: Box::new(self),
        }
    }
}

impl chainmeter_core::plugin::NodeProcess for Node {
    fn exited(&self) -> chainmeter_core::chain::BoxFuture<String> {
        Box::pin(Node::exited(self))
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        self.stop();
    }
}

fn signal_group(pgid: u32, signal: libc::c_int) {
    // SAFETY: kill(2) with a negative pid signals a process group we created.
    unsafe {
        libc::kill(-(pgid as libc::pid_t), signal);
    }
}

/// Runs `binary --version` and returns its first line.
pub(crate) fn version_of(binary: &Path) -> Result<String, LocalnetError> {
    let out = Command::new(binary)
        .arg("--version")
        .output()
        .map_err(|source| LocalnetError::Spawn {
            binary: binary.to_owned(),
            source,
        })?;
    let text = String::from_utf8_lossy(&out.stdout);
    Ok(text.lines().next().unwrap_or("").trim().to_owned())
}

/// Spawns `cmd` in its own process group with output to `log`, dying with us if we die.
pub(crate) fn spawn(
    mut cmd: Command,
    binary: &Path,
    log: &Path,
) -> Result<(Child, u32), LocalnetError> {
    let io = |what: String| move |source| LocalnetError::Io { what, source };
    let out = File::create(log).map_err(io(format!("cannot create log {}", log.display())))?;
    let err = out
        .try_clone()
        .map_err(io("cannot duplicate log handle".into()))?;
    cmd.stdin(Stdio::null())
        .stdout(out)
        .stderr(err)
        .process_group(0);
    // SAFETY: prctl is async-signal-safe; it only sets this child's parent-death signal.
    unsafe {
        cmd.pre_exec(|| {
            #[cfg(target_os = "linux")]
            libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
            Ok(())
        });
    }
    let child = cmd.spawn().map_err(|source| LocalnetError::Spawn {
        binary: binary.to_owned(),
        source,
    })?;
    let pid = child.id();
    Ok((child, pid))
}

pub(crate) fn log_tail(log: &Path, lines: usize) -> String {
    let Ok(f) = File::open(log) else {
        return String::new();
    };
    let all: Vec<String> = BufReader::new(f).lines().map_while(Result::ok).collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

impl Node {
    pub(crate) fn check_alive(&self) -> Result<(), LocalnetError> {
        match self.try_status() {
            None => Ok(()),
            Some(status) => Err(LocalnetError::ExitedEarly {
                binary: self.name.to_owned(),
                status,
                log: self.log.clone(),
                tail: log_tail(&self.log, 20),
            }),
        }
    }

    pub(crate) fn not_ready(&self, waited: Duration, what: &str) -> LocalnetError {
        LocalnetError::NotReady {
            binary: self.name.to_owned(),
            waited,
            what: what.to_owned(),
            log: self.log.clone(),
        }
    }
}
