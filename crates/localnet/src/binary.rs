//! Where the validator binaries are.

use crate::LocalnetError;
use std::{
    env,
    path::{Path, PathBuf},
};

/// A validator binary chainmeter can start: how it is named and found.
/// Each node's file declares its own (`anvil::ANVIL`,
/// `solana_test_validator::SOLANA_TEST_VALIDATOR`).
#[derive(Debug, Clone, Copy)]
pub struct Binary {
    /// The executable's name.
    pub name: &'static str,
    /// The environment variable that names the binary, overriding PATH.
    pub env_var: &'static str,
    /// The project script that installs it.
    pub install_script: &'static str,
    /// Where the install script puts it, besides PATH.
    pub installed_at: fn() -> Option<PathBuf>,
}

fn is_executable(p: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    p.metadata()
        .map(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        .unwrap_or(false)
}

/// Finds `kind`'s binary: its environment variable, then PATH, then where the
/// project's install script puts it.
pub fn locate(kind: &Binary) -> Result<PathBuf, LocalnetError> {
    if let Some(p) = env::var_os(kind.env_var).filter(|p| !p.is_empty()) {
        let p = PathBuf::from(p);
        return if is_executable(&p) {
            Ok(p)
        } else {
            Err(LocalnetError::Io {
                what: format!("{}={} is not an executable file", kind.env_var, p.display()),
                source: std::io::Error::from(std::io::ErrorKind::NotFound),
            })
        };
    }
    let on_path = env::var_os("PATH")
        .into_iter()
        .flat_map(|paths| env::split_paths(&paths).collect::<Vec<_>>())
        .map(|dir| dir.join(kind.name));
    let installed = (kind.installed_at)();
    on_path
        .chain(installed.clone())
        .find(|p| is_executable(p))
        .ok_or_else(|| LocalnetError::NotFound {
            binary: kind.name,
            env_var: kind.env_var,
            searched: installed
                .map_or_else(|| "nowhere else".to_owned(), |p| p.display().to_string()),
            install: kind.install_script,
        })
}
