//! Saving a folder of files whole, as a pipeline is saved: the files go to a temporary folder
//! beside the target (`io::temp`), each synced; then the folder takes the target's place.
//!
//! The swap is two renames when a folder is there already (the old one aside, the new one in),
//! so a crash between them leaves no folder at the target, and the old one, whole, beside it as
//! `.weft-*.old`; a crash before them leaves the old folder as it was. No reader ever sees a
//! folder of some old files and some new.

use std::fs;
use std::io::{self, Write};
use std::path::Path;

use crate::error::{Error, Result};
use crate::io::disk::{folder_of, sync_folder};
use crate::io::temp;

/// Writes the files `files` (name, bytes) as the folder `target`, replacing the folder there
/// if `replaceable` says it may be (it is given the folder's path): a file, a link or a folder
/// it refuses is an error, and nothing is written.
pub(crate) fn write_folder(
    target: &Path,
    files: &[(&str, &[u8])],
    replaceable: impl Fn(&Path) -> bool,
) -> Result<()> {
    let io_error = |source| Error::Io {
        path: target.to_owned(),
        source,
    };
    match fs::symlink_metadata(target) {
        Ok(metadata) if metadata.is_dir() && replaceable(target) => {}
        Ok(_) => {
            return Err(io_error(io::Error::new(
                io::ErrorKind::AlreadyExists,
                "something else than a saved pipeline is there: saving replaces saved pipelines only",
            )));
        }
        Err(error) if error.kind() == io::ErrorKind::NotFound => {}
        Err(error) => return Err(io_error(error)),
    }
    temp::remove_stale(target);
    let (folder, lock) = temp::create_folder(target).map_err(io_error)?;
    let written = write_files(&folder, files)
        // The lock file goes; its handle keeps the folder locked until the rename.
        .and_then(|()| fs::remove_file(folder.join(temp::LOCK)))
        .and_then(|()| swap_in(&folder, target));
    drop(lock);
    if written.is_err() {
        // The new folder is garbage, and its own error moot.
        let _ = temp::remove(&folder);
    }
    written.map_err(io_error)
}

/// Writes and syncs each file into `folder`, then syncs the folder.
fn write_files(folder: &Path, files: &[(&str, &[u8])]) -> io::Result<()> {
    for (name, bytes) in files {
        let mut file = fs::File::create_new(folder.join(name))?;
        file.write_all(bytes)?;
        file.sync_all()?;
    }
    sync_folder(folder)
}

/// Puts the folder `new` at `target`, and removes the folder that was there.
fn swap_in(new: &Path, target: &Path) -> io::Result<()> {
    let old = new.with_extension("old");
    let replacing = target.exists();
    if replacing {
        fs::rename(target, &old)?;
    }
    if let Err(error) = fs::rename(new, target) {
        if replacing {
            // The old folder goes back, whole; the error is the rename's.
            let _ = fs::rename(&old, target);
        }
        return Err(error);
    }
    sync_folder(folder_of(target))?;
    if replacing {
        // The new folder is in place: the old one's removal is housekeeping.
        let _ = fs::remove_dir_all(&old);
    }
    Ok(())
}
