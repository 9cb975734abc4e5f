//! Writing a file atomically: the one rule every export, report and config save uses.
//!
//! A regular file is written to a temporary file in the same directory and renamed
//! over the target, and an existing one is only replaced when `force` is given. A
//! target that exists but is not a regular file (`/dev/null`, a FIFO, a terminal) is
//! written to directly, never replaced. New files get the user's umask (0644 by
//! default), like any program's output. Every error names the path and the cause.
//! This module does not decide where output goes (stdout, prompts): the shells do.

use std::io::Write;
use std::path::Path;

/// Why output could not be written.
#[derive(Debug, thiserror::Error)]
pub enum OutputError {
    #[error("{path}: already exists; pass --force to replace it")]
    Exists { path: String },
    #[error("{path}: cannot write: {cause}")]
    Io { path: String, cause: String },
}

impl OutputError {
    pub(crate) fn io(path: &Path, e: &std::io::Error) -> Self {
        OutputError::Io {
            path: path.display().to_string(),
            cause: crate::ingest::io_cause(e),
        }
    }
}

/// Writes a file atomically (see the module docs).
pub fn write_file(path: &Path, bytes: &[u8], force: bool) -> Result<(), OutputError> {
    write_file_with(path, force, |w| w.write_all(bytes))
}

/// [`write_file`] with the content streamed by `produce`.
pub fn write_file_with(
    path: &Path,
    force: bool,
    produce: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> Result<(), OutputError> {
    match std::fs::metadata(path) {
        Ok(meta) if !meta.is_file() && !meta.is_dir() => {
            // A device, FIFO or socket: write in place, never rename over it.
            let f = std::fs::OpenOptions::new()
                .write(true)
                .open(path)
                .map_err(|e| OutputError::io(path, &e))?;
            let mut w = std::io::BufWriter::with_capacity(1 << 16, f);
            return produce(&mut w)
                .and_then(|()| w.flush())
                .map_err(|e| OutputError::io(path, &e));
        }
        Ok(meta) if meta.is_dir() => {
            return Err(OutputError::Io {
                path: path.display().to_string(),
                cause: "is a directory".into(),
            });
        }
        Ok(_) if !force => {
            return Err(OutputError::Exists {
                path: path.display().to_string(),
            });
        }
        _ => {}
    }
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => std::path::PathBuf::from("."),
    };
    let mut tmp = temp_in(&dir).map_err(|e| OutputError::io(&dir, &e))?;
    {
        let mut w = std::io::BufWriter::with_capacity(1 << 16, tmp.as_file_mut());
        produce(&mut w)
            .and_then(|()| w.flush())
            .map_err(|e| OutputError::io(path, &e))?;
    }
    tmp.as_file()
        .sync_all()
        .map_err(|e| OutputError::io(path, &e))?;
    if force {
        tmp.persist(path)
            .map_err(|e| OutputError::io(path, &e.error))?;
    } else {
        // No replace: fails if the file appeared meanwhile.
        tmp.persist_noclobber(path).map_err(|e| {
            if e.error.kind() == std::io::ErrorKind::AlreadyExists {
                OutputError::Exists {
                    path: path.display().to_string(),
                }
            } else {
                OutputError::io(path, &e.error)
            }
        })?;
    }
    Ok(())
}

/// A temporary file in `dir` created as a normal file would be (0666 less the umask), not 0600.
fn temp_in(dir: &Path) -> std::io::Result<tempfile::NamedTempFile> {
    let mut b = tempfile::Builder::new();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        b.permissions(std::fs::Permissions::from_mode(0o666));
    }
    b.prefix(".threatlens-").tempfile_in(dir)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_to_overwrite_without_force_and_replaces_with_it() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("out.csv");
        write_file(&p, b"one", false).unwrap();
        let err = write_file(&p, b"two", false).err();
        assert!(matches!(err, Some(OutputError::Exists { .. })));
        assert_eq!(std::fs::read(&p).ok().as_deref(), Some(&b"one"[..]));
        write_file(&p, b"two", true).unwrap();
        assert_eq!(std::fs::read(&p).ok().as_deref(), Some(&b"two"[..]));
        let leftovers = std::fs::read_dir(dir.path()).map(|d| d.count()).unwrap();
        assert_eq!(leftovers, 1, "no temporary file left behind");
    }

    #[test]
    fn writes_to_dev_null_in_place() {
        write_file(Path::new("/dev/null"), b"x", false).unwrap();
        assert!(Path::new("/dev/null").exists());
    }

    #[cfg(unix)]
    #[test]
    fn new_files_follow_the_umask_not_0600() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("report.md");
        write_file(&p, b"x", false).unwrap();
        let mode = std::fs::metadata(&p).unwrap().permissions().mode() & 0o777;
        // Same mode as a file created plainly under this umask (0644 by default), not 0600.
        let probe = dir.path().join("probe");
        std::fs::write(&probe, b"x").unwrap();
        let normal = std::fs::metadata(&probe).unwrap().permissions().mode() & 0o777;
        assert_eq!(
            mode, normal,
            "{mode:o} vs a plainly created file's {normal:o}"
        );
    }
}
