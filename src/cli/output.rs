//! Writing command output: stdout, or a file written atomically.
//!
//! `-` (or no path) is stdout. A regular file is written to a temporary file in
//! the same directory and renamed over the target, and an existing one is only
//! replaced with `--force`. A target that exists but is not a regular file
//! (`/dev/null`, a FIFO, a terminal) is written to directly, never replaced.
//! Every error names the path and the cause. Large outputs are streamed through a buffer
//! ([`write_output_with`]) instead of being built in memory first.

use std::io::Write;
use std::path::Path;

/// Where output goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    Stdout,
    File(std::path::PathBuf),
}

impl Target {
    pub fn from_arg(path: Option<&str>) -> Target {
        match path {
            None | Some("-") => Target::Stdout,
            Some(p) => Target::File(p.into()),
        }
    }
}

/// Checks, before any work is done, that `target` could be written: not an existing regular file
/// without `force`, not a directory, in a directory that exists. Writing checks again (the file
/// system may change meanwhile); this only saves a long run that would end in a refusal.
pub fn check_target(target: &Target, force: bool) -> Result<(), OutputError> {
    let Target::File(path) = target else {
        return Ok(());
    };
    match std::fs::metadata(path) {
        Ok(meta) if meta.is_dir() => Err(OutputError::Io {
            path: path.display().to_string(),
            cause: "is a directory".into(),
        }),
        Ok(meta) if meta.is_file() && !force => Err(OutputError::Exists {
            path: path.display().to_string(),
        }),
        Ok(_) => Ok(()),
        Err(_) => match path.parent() {
            Some(dir) if !dir.as_os_str().is_empty() && !dir.is_dir() => Err(OutputError::Io {
                path: path.display().to_string(),
                cause: format!("directory {} does not exist", dir.display()),
            }),
            _ => Ok(()),
        },
    }
}

/// Writes `bytes` to the target (see the module docs for the rules).
pub fn write_output(target: &Target, bytes: &[u8], force: bool) -> Result<(), OutputError> {
    write_output_with(target, force, |w| w.write_all(bytes))
}

/// Writes what `produce` writes to the target, streamed through a buffer rather than held
/// in memory whole (same rules as [`write_output`]).
pub fn write_output_with(
    target: &Target,
    force: bool,
    produce: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> Result<(), OutputError> {
    match target {
        Target::Stdout => {
            let mut out = std::io::BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
            match produce(&mut out).and_then(|()| out.flush()) {
                // A closed pipe (e.g. `| head`) is not an error worth reporting.
                Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
                r => r.map_err(|e| OutputError::io(Path::new("<stdout>"), &e)),
            }
        }
        Target::File(path) => write_file_with(path, force, produce),
    }
}

pub use crate::report::file::{OutputError, write_file, write_file_with};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_to_overwrite_without_force_and_replaces_with_it() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let p = dir.path().join("out.csv");
        write_file(&p, b"one", false).unwrap_or_else(|e| panic!("{e}"));
        let err = write_file(&p, b"two", false).err();
        assert!(matches!(err, Some(OutputError::Exists { .. })));
        assert_eq!(std::fs::read(&p).ok().as_deref(), Some(&b"one"[..]));
        write_file(&p, b"two", true).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(std::fs::read(&p).ok().as_deref(), Some(&b"two"[..]));
        let leftovers = std::fs::read_dir(dir.path())
            .map(|d| d.count())
            .unwrap_or(0);
        assert_eq!(leftovers, 1, "no temporary file left behind");
    }

    #[test]
    fn checks_a_target_before_the_work() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let p = dir.path().join("out.json");
        let file = Target::File(p.clone());
        assert!(check_target(&file, false).is_ok());
        write_file(&p, b"x", false).unwrap_or_else(|e| panic!("{e}"));
        assert!(matches!(
            check_target(&file, false),
            Err(OutputError::Exists { .. })
        ));
        assert!(check_target(&file, true).is_ok());
        let d = check_target(&Target::File(dir.path().into()), true);
        assert!(d.is_err_and(|e| e.to_string().contains("is a directory")));
        let missing = Target::File(dir.path().join("no/such/out.json"));
        let e = check_target(&missing, false).err().map(|e| e.to_string());
        assert!(e.is_some_and(|e| e.contains("does not exist")));
        assert!(check_target(&Target::File("/dev/null".into()), false).is_ok());
        assert!(check_target(&Target::Stdout, false).is_ok());
    }

    #[test]
    fn writes_to_dev_null_in_place() {
        write_file(Path::new("/dev/null"), b"x", false).unwrap_or_else(|e| panic!("{e}"));
        assert!(Path::new("/dev/null").exists());
    }
}
