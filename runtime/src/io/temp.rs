//! The temporary files of `to_disk` (and the temporary folders of folders saved whole, such as
//! pipelines, whose lock is that of a file `.lock` inside): one per save, beside its target, named after the target so
//! that a later save of it finds those a killed save left, and locked while their save runs so
//! that it tells them from the files of saves still running.
//!
//! A temporary file is named `.weft-<target>-<process>-<n>.tmp`, `<target>` being the CRC-32 of
//! the target's file name in 8 hex digits: under 60 bytes, whatever the length of the target's
//! name. Its save holds the file locked ([`File::lock`]) until it has renamed it over the
//! target. The system drops the locks of a process that dies, so a temporary file of the target
//! that no one holds locked is the leftover of a killed save. Where files cannot be locked
//! (some network file systems), no leftover is removed: whether its save still runs cannot be
//! known.

use std::fs::{self, File};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::io::disk::folder_of;

/// A new temporary file beside `target`: its path, and the file, created, open for writing
/// and locked where the system allows it.
pub(crate) fn create(target: &Path) -> io::Result<(PathBuf, File)> {
    create_with(target, |path| {
        File::options().write(true).create_new(true).open(path)
    })
}

/// A new temporary folder beside `target`, for the files of a folder saved whole: its path,
/// and its file [`LOCK`], created and locked where the system allows it (a folder cannot be
/// locked itself).
pub(crate) fn create_folder(target: &Path) -> io::Result<(PathBuf, File)> {
    create_with(target, |path| {
        fs::create_dir(path)?;
        File::create(path.join(LOCK))
    })
}

/// The file in a temporary folder whose lock stands for the folder's.
pub(crate) const LOCK: &str = ".lock";

/// A new temporary file or folder beside `target`, made by `make` (which fails with
/// `AlreadyExists` when the name is taken), and the file that `make` returns, locked.
fn create_with(
    target: &Path,
    make: impl Fn(&Path) -> io::Result<File>,
) -> io::Result<(PathBuf, File)> {
    static COUNT: AtomicUsize = AtomicUsize::new(0);
    let prefix = prefix(target)?;
    loop {
        let n = COUNT.fetch_add(1, Ordering::Relaxed);
        let path = target.with_file_name(format!("{prefix}{}-{n}.tmp", std::process::id()));
        let file = match make(&path) {
            Err(error) if error.kind() == io::ErrorKind::AlreadyExists => continue,
            opened => opened?,
        };
        match file.lock() {
            Ok(()) => {}
            // The lock only tells other saves that this one runs; without it, none removes it.
            Err(error) if error.kind() == io::ErrorKind::Unsupported => {}
            Err(error) => {
                // The file is garbage, and its own error moot.
                let _ = remove(&path);
                return Err(error);
            }
        }
        // Another save of the target may have found the file unlocked before this one locked
        // it, and removed it: then take another.
        if fs::symlink_metadata(&path).is_ok() {
            return Ok((path, file));
        }
    }
}

/// Removes the temporary files beside `target` that saves of it killed before their end left:
/// those that no process holds locked. Any error leaves the file concerned where it is: this
/// is housekeeping, and the save goes on.
pub(crate) fn remove_stale(target: &Path) {
    let Ok(prefix) = prefix(target) else {
        return;
    };
    let Ok(entries) = fs::read_dir(folder_of(target)) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let ours =
            (name.to_str()).is_some_and(|name| name.starts_with(&prefix) && name.ends_with(".tmp"));
        let path = entry.path();
        let _ = match entry.file_type() {
            Ok(kind) if ours && kind.is_file() => remove_if_unlocked(&path, &path),
            Ok(kind) if ours && kind.is_dir() => remove_if_unlocked(&path, &path.join(LOCK)),
            _ => Ok(()),
        };
    }
}

/// Removes the file or folder at `path` if no process holds `lock` locked; keeps it locked
/// meanwhile, so that no save takes it up. A folder without its lock file (a save that has
/// removed it to rename the folder) is left.
fn remove_if_unlocked(path: &Path, lock: &Path) -> io::Result<()> {
    let file = File::open(lock)?;
    match file.try_lock() {
        Ok(()) => remove(path),
        // Locked by a save that runs, or the lock cannot be tested: leave it.
        Err(_) => Ok(()),
    }
}

/// Removes the file or the folder (with what it holds) at `path`.
pub(crate) fn remove(path: &Path) -> io::Result<()> {
    match fs::symlink_metadata(path)?.is_dir() {
        true => fs::remove_dir_all(path),
        false => fs::remove_file(path),
    }
}

/// The start of the names of `target`'s temporary files: `.weft-<CRC-32 of its name>-`.
fn prefix(target: &Path) -> io::Result<String> {
    let name = target.file_name().ok_or_else(|| {
        io::Error::new(io::ErrorKind::InvalidInput, "the path does not name a file")
    })?;
    Ok(format!(
        ".weft-{:08x}-",
        crc32fast::hash(name.as_encoded_bytes())
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A fresh folder under the system's temporary one.
    fn folder(name: &str) -> PathBuf {
        let folder = std::env::temp_dir().join(format!("weft-temp-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&folder);
        fs::create_dir_all(&folder).unwrap();
        folder
    }

    fn names(folder: &Path) -> Vec<String> {
        let mut names: Vec<String> = (fs::read_dir(folder).unwrap())
            .map(|entry| entry.unwrap().file_name().into_string().unwrap())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn a_temporary_name_is_short_whatever_the_target() {
        let folder = folder("names");
        let target = folder.join("m".repeat(250));
        let (path, _file) = create(&target).unwrap();
        let name = path.file_name().unwrap().to_str().unwrap();
        assert!(name.len() < 60, "{name}");
        assert!(name.starts_with(&prefix(&target).unwrap()) && name.ends_with(".tmp"));
        assert!(name.starts_with(".weft-"));
        fs::remove_dir_all(&folder).unwrap();
    }

    /// The file of a killed save, which the system unlocked, is removed; a file a running save
    /// holds locked, the files of another target and other files stay.
    #[test]
    fn only_the_unlocked_temporary_files_of_the_target_are_removed() {
        let folder = folder("stale");
        let target = folder.join("model.weft");
        let (killed, file) = create(&target).unwrap();
        drop(file);
        let (running, _locked) = create(&target).unwrap();
        let (other, file) = create(&folder.join("other.weft")).unwrap();
        drop(file);
        fs::write(folder.join(".weft-notes.tmp"), b"").unwrap();
        remove_stale(&target);
        let name = |path: &Path| path.file_name().unwrap().to_str().unwrap().to_owned();
        let mut expected = vec![name(&running), name(&other), ".weft-notes.tmp".to_owned()];
        expected.sort();
        assert_eq!(names(&folder), expected);
        assert!(!killed.exists());
        fs::remove_dir_all(&folder).unwrap();
    }
}
