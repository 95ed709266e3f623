//! The key a run's senders are funded from, when the user gives one
//! (`--funder-key FILE`, or the file `CHAINMETER_FUNDER_KEY` names).
//!
//! A key is never in a scenario file, never printed and never written:
//! [`FunderKey`]'s `Debug` shows the file, not the key, and its errors name
//! the file alone. A file others can read is refused, as ssh refuses one.
//! Each chain reads the key in its own format from [`FunderKey::secret`].

use std::{
    fmt,
    path::{Path, PathBuf},
};

/// The environment variable that names the funder's key file.
pub const FUNDER_KEY_ENV: &str = "CHAINMETER_FUNDER_KEY";

/// A funder's key, read from its file.
#[derive(Clone)]
pub struct FunderKey {
    path: PathBuf,
    secret: String,
}

impl fmt::Debug for FunderKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FunderKey")
            .field("path", &self.path)
            .field("secret", &"<not shown>")
            .finish()
    }
}

/// Why a funder's key file cannot be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FunderKeyError {
    /// The file cannot be read.
    #[error("--funder-key {}: cannot read the file", path.display())]
    Unreadable {
        /// The file.
        path: PathBuf,
        /// The error.
        #[source]
        source: std::io::Error,
    },
    /// Others than its owner may read the file.
    #[error(
        "--funder-key {}: the file is readable by others (mode {mode:o}); a key must be \
         readable by its owner alone: chmod 600 {}",
        path.display(),
        path.display()
    )]
    Exposed {
        /// The file.
        path: PathBuf,
        /// Its permission bits.
        mode: u32,
    },
    /// The file holds nothing.
    #[error("--funder-key {}: the file is empty", path.display())]
    Empty {
        /// The file.
        path: PathBuf,
    },
}

/// Why a chain cannot read the key it was given. The message names the
/// file and the format expected, never the key.
#[derive(Debug, Clone, thiserror::Error)]
#[error("--funder-key {}: not a key {chain} can read; expected {expected}", path.display())]
pub struct MalformedKey {
    /// The file.
    pub path: PathBuf,
    /// The chain reading it.
    pub chain: &'static str,
    /// The format the chain reads.
    pub expected: &'static str,
}

impl FunderKey {
    /// Reads the key file at `path`: it must be readable by its owner alone.
    pub fn read(path: &Path) -> Result<Self, FunderKeyError> {
        use std::os::unix::fs::PermissionsExt;
        let unreadable = |source| FunderKeyError::Unreadable {
            path: path.to_owned(),
            source,
        };
        let mode = std::fs::metadata(path)
            .map_err(unreadable)?
            .permissions()
            .mode()
            & 0o777;
        if mode & 0o077 != 0 {
            return Err(FunderKeyError::Exposed {
                path: path.to_owned(),
                mode,
            });
        }
        let secret = std::fs::read_to_string(path)
            .map_err(unreadable)?
            .trim()
            .to_owned();
        if secret.is_empty() {
            return Err(FunderKeyError::Empty {
                path: path.to_owned(),
            });
        }
        Ok(Self {
            path: path.to_owned(),
            secret,
        })
    }

    /// The file the key came from.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The key as the file holds it, trimmed: for the chain to parse, never
    /// to print.
    pub fn secret(&self) -> &str {
        &self.secret
    }

    /// The error of a key `chain` cannot read, which expects `expected`.
    pub fn malformed(&self, chain: &'static str, expected: &'static str) -> MalformedKey {
        MalformedKey {
            path: self.path.clone(),
            chain,
            expected,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn a_key_is_read_only_from_a_file_its_owner_alone_can_read() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("funder.key");
        std::fs::write(&path, "0xabc\n").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        let exposed = FunderKey::read(&path).unwrap_err();
        assert!(matches!(
            exposed,
            FunderKeyError::Exposed { mode: 0o644, .. }
        ));
        assert!(exposed.to_string().contains("chmod 600"), "{exposed}");
        assert!(!exposed.to_string().contains("0xabc"));

        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        let key = FunderKey::read(&path).unwrap();
        assert_eq!(key.secret(), "0xabc");
        assert!(!format!("{key:?}").contains("abc"), "{key:?}");
        assert!(!key.malformed("evm", "hex").to_string().contains("abc"));

        std::fs::write(&path, " \n").unwrap();
        assert!(matches!(
            FunderKey::read(&path),
            Err(FunderKeyError::Empty { .. })
        ));
        assert!(matches!(
            FunderKey::read(&dir.path().join("missing")),
            Err(FunderKeyError::Unreadable { .. })
        ));
    }
}
