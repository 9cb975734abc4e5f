//! Following a path: one file, or every file of a folder.
//!
//! A folder is listed at every poll: a new file gets its own [`FileTail`] and is read from its
//! start, once; a file renamed inside the folder (`app.log` → `app.log.1`) keeps its tail, so
//! it is not read again; a file removed is read to its end and forgotten. Hidden files and
//! the temporary names downloaders use (`.tmp`, `.part`, `~`) are left until renamed.
//! Sub-folders are not followed. Nothing here sleeps or prints.

use super::tail::{FileTail, file_id};
use super::{Accept, Event};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Why a path cannot be followed at all.
#[derive(Debug, thiserror::Error)]
pub enum FollowError {
    #[error("{path}: no such file or folder (check the path)")]
    NotFound { path: String },
    #[error("{path}: cannot follow: {cause}")]
    Unreadable { path: String, cause: String },
    #[error("{path}: is neither a file nor a folder")]
    NotAFile { path: String },
}

/// The files of a followed path and their tails.
pub struct Follower {
    root: PathBuf,
    folder: bool,
    tails: BTreeMap<PathBuf, FileTail>,
    /// The last problem listing the folder, so a lasting one is said once.
    list_problem: Option<String>,
}

impl Follower {
    /// Follows `path`, a file or a folder, which must exist.
    pub fn new(path: impl Into<PathBuf>) -> Result<Self, FollowError> {
        let root: PathBuf = path.into();
        let shown = root.display().to_string();
        let meta = std::fs::metadata(&root).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => FollowError::NotFound {
                path: shown.clone(),
            },
            _ => FollowError::Unreadable {
                path: shown.clone(),
                cause: crate::ingest::io_cause(&e),
            },
        })?;
        let folder = meta.is_dir();
        if !folder && !meta.is_file() {
            return Err(FollowError::NotAFile { path: shown });
        }
        let mut tails = BTreeMap::new();
        if !folder {
            tails.insert(root.clone(), FileTail::new(&root));
        }
        Ok(Follower {
            root,
            folder,
            tails,
            list_problem: None,
        })
    }

    /// The path followed.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Whether the path is a folder.
    pub fn is_folder(&self) -> bool {
        self.folder
    }

    /// How many files are followed now.
    pub fn files(&self) -> usize {
        self.tails.len()
    }

    /// Stops reading `file` (its records cannot be used); see [`FileTail::close`].
    pub fn close(&mut self, file: &Path) {
        if let Some(t) = self.tails.get_mut(file) {
            t.close();
        }
    }

    /// Reads what is new in every file; returns `true` when more bytes are waiting.
    pub fn poll(&mut self, accept: &mut Accept<'_>, out: &mut Vec<Event>) -> bool {
        if self.folder {
            self.list(out);
        }
        let mut more = false;
        for tail in self.tails.values_mut() {
            more |= tail.poll(accept, out);
        }
        if self.folder {
            // A file gone (and read to its end by that poll) is forgotten.
            self.tails.retain(|p, t| t.id().is_some() || p.is_file());
        }
        more
    }

    /// Lists the folder: a tail for each new file, moved along when a file was renamed.
    fn list(&mut self, out: &mut Vec<Event>) {
        let entries = match std::fs::read_dir(&self.root) {
            Ok(e) => e,
            Err(e) => {
                let reason = format!("cannot list the folder: {}", crate::ingest::io_cause(&e));
                if self.list_problem.as_deref() != Some(reason.as_str()) {
                    out.push(Event::Problem {
                        file: self.root.clone(),
                        reason: reason.clone(),
                    });
                    self.list_problem = Some(reason);
                }
                return;
            }
        };
        self.list_problem = None;
        let mut found: Vec<(PathBuf, Option<super::tail::FileId>)> = entries
            .filter_map(Result::ok)
            .filter(|e| followed_name(&e.file_name().to_string_lossy()))
            .filter_map(|e| {
                let meta = std::fs::metadata(e.path()).ok()?;
                meta.is_file().then(|| (e.path(), file_id(&meta)))
            })
            .collect();
        found.sort_by(|a, b| a.0.cmp(&b.0));
        for (path, id) in &found {
            if self.tails.contains_key(path) {
                continue;
            }
            // Renamed inside the folder: the tail whose file this is, now under another name.
            let moved = id.and_then(|id| {
                self.tails
                    .iter()
                    .find(|(old, t)| {
                        t.id() == Some(id)
                            && !found.iter().any(|(p, i)| p == *old && *i == Some(id))
                    })
                    .map(|(old, _)| old.clone())
            });
            let tail = match moved.and_then(|old| self.tails.remove(&old)) {
                Some(mut t) => {
                    t.rename(path.clone());
                    t
                }
                None => FileTail::new(path),
            };
            self.tails.insert(path.clone(), tail);
        }
        // A name whose tail moved on with its renamed file: a new file has it now.
        for (path, _) in found {
            self.tails
                .entry(path.clone())
                .or_insert_with(|| FileTail::new(path));
        }
    }
}

/// Whether a folder entry is followed: not hidden, not a download still in progress.
fn followed_name(name: &str) -> bool {
    !(name.starts_with('.')
        || name.ends_with('~')
        || [".tmp", ".part", ".crdownload", ".swp"]
            .iter()
            .any(|s| name.ends_with(s)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn poll(f: &mut Follower) -> (String, Vec<Event>) {
        let mut out = Vec::new();
        f.poll(&mut |_, _| Ok(()), &mut out);
        let text = out
            .iter()
            .filter_map(|e| match e {
                Event::Records(r) => Some(String::from_utf8(r.bytes.clone()).unwrap()),
                _ => None,
            })
            .collect();
        (text, out)
    }

    #[test]
    fn new_files_in_a_folder_are_read_once_and_renames_are_not_new() {
        let dir = tempfile::tempdir().unwrap();
        let mut f = Follower::new(dir.path()).unwrap();
        assert!(f.is_folder());
        assert_eq!(poll(&mut f).0, "");
        std::fs::write(dir.path().join("a.csv"), "x,y\n1,1\n").unwrap();
        std::fs::write(dir.path().join(".b.csv.tmp"), "x,y\n2,2\n").unwrap();
        assert_eq!(poll(&mut f).0, "1,1\n");
        // The downloader finishes: renamed to its real name, read once.
        std::fs::rename(dir.path().join(".b.csv.tmp"), dir.path().join("b.csv")).unwrap();
        assert_eq!(poll(&mut f).0, "2,2\n");
        assert_eq!(poll(&mut f).0, "");
        // Rotation inside the folder: the renamed file is not read again.
        std::fs::rename(dir.path().join("a.csv"), dir.path().join("a.csv.1")).unwrap();
        std::fs::write(dir.path().join("a.csv"), "x,y\n3,3\n").unwrap();
        assert_eq!(poll(&mut f).0, "3,3\n");
        assert_eq!(f.files(), 3);
        std::fs::remove_file(dir.path().join("b.csv")).unwrap();
        let (text, ev) = poll(&mut f);
        assert_eq!(text, "");
        assert!(
            ev.iter()
                .any(|e| matches!(e, Event::Notice { message, .. } if message.contains("removed")))
        );
        assert_eq!(f.files(), 2);
    }

    #[test]
    fn a_missing_path_is_an_error_that_names_it() {
        let e = Follower::new("/no/such/place").err().unwrap();
        assert_eq!(
            e.to_string(),
            "/no/such/place: no such file or folder (check the path)"
        );
    }
}
