//! Where the validator binaries are.

use crate::LocalnetError;
use std::{
    env,
    path::{Path, PathBuf},
};

/// A validator binary chainmeter can start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinaryKind {
    /// anvil (foundry).
    Anvil,
    /// solana-test-validator (agave).
    SolanaTestValidator,
}

impl BinaryKind {
    /// The executable's name.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Anvil => "anvil",
            Self::SolanaTestValidator => "solana-test-validator",
        }
    }

    /// The environment variable that names the binary, overriding PATH.
    pub const fn env_var(self) -> &'static str {
        match self {
            Self::Anvil => "ANVIL",
            Self::SolanaTestValidator => "SOLANA_TEST_VALIDATOR",
        }
    }

    /// The project script that installs it.
    pub const fn install_script(self) -> &'static str {
        match self {
            Self::Anvil => "scripts/install-anvil.sh",
            Self::SolanaTestValidator => "scripts/install-solana-test-validator.sh",
        }
    }

    /// Where the install script puts it, besides PATH.
    fn installed_at(self) -> Option<PathBuf> {
        match self {
            Self::Anvil => {
                let platform = match (env::consts::OS, env::consts::ARCH) {
                    ("linux", "x86_64") => "linux-amd64",
                    ("linux", "aarch64") => "linux-arm64",
                    ("macos", "x86_64") => "darwin-amd64",
                    ("macos", "aarch64") => "darwin-arm64",
                    _ => return None,
                };
                let tools = env::var_os("CHAINMETER_TOOLS")
                    .map(PathBuf::from)
                    .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../.tools"));
                Some(tools.join(format!(
                    "node_modules/@foundry-rs/anvil-{platform}/bin/anvil"
                )))
            }
            Self::SolanaTestValidator => {
                let cargo_home = env::var_os("CARGO_HOME")
                    .map(PathBuf::from)
                    .or_else(|| env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))?;
                Some(cargo_home.join("bin/solana-test-validator"))
            }
        }
    }
}

fn is_executable(p: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    p.metadata()
        .map(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        .unwrap_or(false)
}

/// Finds `kind`'s binary: its environment variable, then PATH, then where the
/// project's install script puts it.
pub fn locate(kind: BinaryKind) -> Result<PathBuf, LocalnetError> {
    if let Some(p) = env::var_os(kind.env_var()).filter(|p| !p.is_empty()) {
        let p = PathBuf::from(p);
        return if is_executable(&p) {
            Ok(p)
        } else {
            Err(LocalnetError::Io {
                what: format!(
                    "{}={} is not an executable file",
                    kind.env_var(),
                    p.display()
                ),
                source: std::io::Error::from(std::io::ErrorKind::NotFound),
            })
        };
    }
    let on_path = env::var_os("PATH")
        .into_iter()
        .flat_map(|paths| env::split_paths(&paths).collect::<Vec<_>>())
        .map(|dir| dir.join(kind.name()));
    let installed = kind.installed_at();
    on_path
        .chain(installed.clone())
        .find(|p| is_executable(p))
        .ok_or_else(|| LocalnetError::NotFound {
            binary: kind.name(),
            env_var: kind.env_var(),
            searched: installed
                .map_or_else(|| "nowhere else".to_owned(), |p| p.display().to_string()),
            install: kind.install_script(),
        })
}
