//! Saving to and loading from files: `to_disk` replaces a regular file only, writing a
//! temporary file beside it (`io::temp`), syncing it and renaming it over the target
//! ([`write_atomically`], which checkpoints use too); `from_disk` reads a regular file, no
//! further than the longest saved form of the model can reach. The bytes are those of
//! `io::serialize`. [`read_regular`] reads a whole regular file (a checkpoint).

use std::fs;
use std::io::{self, Read, Write};
use std::path::Path;

use crate::error::{Error, LoadError, Result};
use crate::io::serialize::{from_bytes, longest_saved_form, read_header, to_bytes};
use crate::io::temp;
use crate::model::Params;

pub(crate) fn to_disk<P: Params + ?Sized>(model: &P, path: &Path) -> Result<()> {
    write_atomically(path, &to_bytes(model)?)
}

/// Writes `bytes` to the file at `path`, a regular file or none, so that a crash or a full disk
/// leaves either the file as it was or the new one whole, never a part of it: to a temporary
/// file beside it, synced, then renamed over it, and the folder synced.
pub(crate) fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    let io_error = |source| Error::Io {
        path: path.to_owned(),
        source,
    };
    refuse_to_replace(path).map_err(io_error)?;
    temp::remove_stale(path);
    let (temp, file) = temp::create(path).map_err(io_error)?;
    // The file stays open, and so locked, until it has taken the target's place.
    let written = write_synced(&file, bytes)
        .and_then(|()| fs::rename(&temp, path))
        .and_then(|()| sync_folder(folder_of(path)));
    if written.is_err() {
        // The write failed: the temporary file is garbage, and its own error moot.
        let _ = fs::remove_file(&temp);
    }
    written.map_err(io_error)
}

/// Refuses to save over anything at `path` but a regular file: the rename would replace a
/// symbolic link rather than write where it points, and a FIFO, a device or a folder is not
/// the user's model to replace.
fn refuse_to_replace(path: &Path) -> io::Result<()> {
    match fs::symlink_metadata(path) {
        Ok(metadata) => {
            refuse_unless_regular(metadata.file_type(), "saving replaces regular files only")
        }
        Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(error) => Err(error),
    }
}

pub(crate) fn from_disk<P: Params + ?Sized>(model: &mut P, path: &Path) -> Result<()> {
    let load_error = |error| Error::Load {
        path: Some(path.to_owned()),
        error,
    };
    let limit = longest_saved_form(model);
    let (bytes, length) = read_at_most(path, limit).map_err(|source| Error::Io {
        path: path.to_owned(),
        source,
    })?;
    if bytes.len() as u64 > limit {
        // No saved form of this model is so long; the header may tell what the file is.
        read_header(&bytes).map_err(load_error)?;
        return Err(load_error(LoadError::TooLong { length, limit }));
    }
    from_bytes(model, &bytes, Some(path))
}

/// All the bytes of the regular file at `path`, a `what` (a checkpoint) that errors name.
pub(crate) fn read_regular(path: &Path, what: &str) -> Result<Vec<u8>> {
    let mut bytes = Vec::new();
    let read = open_regular(path, what).and_then(|mut file| file.read_to_end(&mut bytes));
    read.map_err(|source| Error::Io {
        path: path.to_owned(),
        source,
    })?;
    Ok(bytes)
}

/// The first `limit + 1` bytes of the regular file at `path` (all of it, when it is shorter),
/// and the file's length: what the file system tells, or what was read if that is more.
fn read_at_most(path: &Path, limit: u64) -> io::Result<(Vec<u8>, u64)> {
    let file = open_regular(path, "saved model")?;
    let length = file.metadata()?.len();
    let wanted = length.min(limit.saturating_add(1));
    let mut bytes = Vec::with_capacity(usize::try_from(wanted).unwrap_or(0));
    file.take(limit.saturating_add(1)).read_to_end(&mut bytes)?;
    let length = length.max(bytes.len() as u64);
    Ok((bytes, length))
}

/// The file at `path`, open for reading, if it is a regular file once symbolic links are
/// followed: a FIFO would block until a writer comes, a device may never end, and neither
/// holds a `what` (a saved model, a checkpoint).
fn open_regular(path: &Path, what: &str) -> io::Result<fs::File> {
    let why = format!("it cannot hold a {what}");
    refuse_unless_regular(fs::metadata(path)?.file_type(), &why)?;
    let file = fs::File::open(path)?;
    // Another file may have taken the path between the check and the opening.
    refuse_unless_regular(file.metadata()?.file_type(), &why)?;
    Ok(file)
}

/// An error saying what a file that is not a regular one is, and `why` that matters.
fn refuse_unless_regular(file_type: fs::FileType, why: &str) -> io::Result<()> {
    if file_type.is_file() {
        return Ok(());
    }
    let message = format!("{}, not a regular file: {why}", describe(file_type));
    Err(io::Error::new(io::ErrorKind::InvalidInput, message))
}

/// What kind of file, other than a regular one, `file_type` is.
fn describe(file_type: fs::FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        match () {
            _ if file_type.is_fifo() => return "a named pipe (FIFO)",
            _ if file_type.is_char_device() => return "a character device",
            _ if file_type.is_block_device() => return "a block device",
            _ if file_type.is_socket() => return "a socket",
            _ => {}
        }
    }
    match () {
        _ if file_type.is_dir() => "a directory",
        _ if file_type.is_symlink() => "a symbolic link",
        _ => "a special file",
    }
}

/// The folder that holds `path`: its parent, or `.` for a bare file name.
pub(crate) fn folder_of(path: &Path) -> &Path {
    match path.parent() {
        Some(folder) if !folder.as_os_str().is_empty() => folder,
        _ => Path::new("."),
    }
}

fn write_synced(mut file: &fs::File, bytes: &[u8]) -> io::Result<()> {
    file.write_all(bytes)?;
    file.sync_all()
}

/// Makes what was written or renamed into `folder` durable, where the system allows it.
#[cfg(unix)]
pub(crate) fn sync_folder(folder: &Path) -> io::Result<()> {
    fs::File::open(folder)?.sync_all()
}

#[cfg(not(unix))]
pub(crate) fn sync_folder(_: &Path) -> io::Result<()> {
    Ok(())
}
