//! Saving to and loading from files: `to_disk` writes a temporary file beside the target,
//! syncs it and renames it over the target; `from_disk` reads the file whole. The bytes are
//! those of `io::serialize`.

use std::ffi::OsString;
use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::error::{Error, Result};
use crate::io::serialize::{from_bytes, to_bytes};
use crate::model::Params;

pub(crate) fn to_disk<P: Params + ?Sized>(model: &P, path: &Path) -> Result<()> {
    let bytes = to_bytes(model)?;
    let io_error = |source| Error::Io {
        path: path.to_owned(),
        source,
    };
    let temp = temp_path(path).map_err(io_error)?;
    let written = write_synced(&temp, &bytes)
        .and_then(|()| fs::rename(&temp, path))
        .and_then(|()| sync_folder(path));
    if written.is_err() {
        // The write failed: the temporary file, if any, is garbage, and its own error moot.
        let _ = fs::remove_file(&temp);
    }
    written.map_err(io_error)
}

pub(crate) fn from_disk<P: Params + ?Sized>(model: &mut P, path: &Path) -> Result<()> {
    let bytes = fs::read(path).map_err(|source| Error::Io {
        path: path.to_owned(),
        source,
    })?;
    from_bytes(model, &bytes).map_err(|error| Error::Load {
        path: Some(path.to_owned()),
        error,
    })
}

/// A fresh name for the temporary file beside `path`: `.<name>.<process>-<n>.tmp`.
fn temp_path(path: &Path) -> io::Result<PathBuf> {
    static COUNT: AtomicUsize = AtomicUsize::new(0);
    let name = path.file_name().ok_or_else(|| {
        io::Error::new(io::ErrorKind::InvalidInput, "the path does not name a file")
    })?;
    let mut temp = OsString::from(".");
    temp.push(name);
    temp.push(format!(
        ".{}-{}.tmp",
        std::process::id(),
        COUNT.fetch_add(1, Ordering::Relaxed)
    ));
    Ok(path.with_file_name(temp))
}

fn write_synced(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut file = fs::File::create(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

/// Makes the rename of a file into `path` durable, where the system allows it.
#[cfg(unix)]
fn sync_folder(path: &Path) -> io::Result<()> {
    let folder = match path.parent() {
        Some(folder) if !folder.as_os_str().is_empty() => folder,
        _ => Path::new("."),
    };
    fs::File::open(folder)?.sync_all()
}

#[cfg(not(unix))]
fn sync_folder(_: &Path) -> io::Result<()> {
    Ok(())
}
