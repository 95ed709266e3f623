//! Records the git revision chainmeter is built from, for result files.

use std::{path::Path, process::Command};

/// What `git args` prints, trimmed, if it succeeds.
fn git(args: &[&str]) -> Option<String> {
    Command::new("git")
        .args(args)
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
}

fn main() {
    let rev = git(&["rev-parse", "--short=12", "HEAD"]);
    let dirty = git(&["status", "--porcelain", "--untracked-files=no"])
        .is_some_and(|changes| !changes.is_empty());
    if let Some(rev) = rev {
        println!(
            "cargo:rustc-env=CHAINMETER_GIT_REVISION={rev}{}",
            if dirty { "-dirty" } else { "" }
        );
    }
    // The files of this checkout's own git directory, as git names them: a
    // worktree's are not the main checkout's, so a build in one, sharing
    // the other's target directory, reruns this when the other builds
    // again (a fixed `../../.git/HEAD` kept the worktree's revision). The
    // branch's ref moves on a commit, HEAD only on a checkout.
    let mut watched = vec!["HEAD".to_owned(), "index".to_owned()];
    watched.extend(git(&["symbolic-ref", "-q", "HEAD"]));
    for name in watched {
        match git(&["rev-parse", "--git-path", &name]) {
            Some(path) if Path::new(&path).exists() => {
                println!("cargo:rerun-if-changed={path}");
            }
            _ => {}
        }
    }
}
