//! Loading from disk: what stands at the path, and how long the file is.

use std::fs;
use std::path::Path;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use weft::{Error, LoadError, Params};

use crate::saving::{linear, temp_folder};

/// A file far longer than a saved form of the model: reading stops at the longest such form,
/// and the first bytes tell whether it is a model at all.
#[test]
fn a_file_longer_than_any_saved_form_is_refused_quickly() {
    let folder = temp_folder("huge");
    let zeros = folder.join("zeros.weft");
    fs::File::create(&zeros).unwrap().set_len(4 << 30).unwrap();
    let start = Instant::now();
    let error = linear().from_disk(&zeros).unwrap_err();
    assert_eq!(
        error.to_string(),
        format!(
            "cannot load {}: not a weft model: the bytes do not begin with a map of format and \
             version",
            zeros.display()
        )
    );

    let padded = folder.join("padded.weft");
    fs::write(&padded, linear().to_bytes().unwrap()).unwrap();
    let file = fs::OpenOptions::new().write(true).open(&padded).unwrap();
    file.set_len(4 << 30).unwrap();
    let error = linear().from_disk(&padded).unwrap_err();
    assert!(
        matches!(
            error,
            Error::Load {
                error: LoadError::TooLong {
                    length: 4294967296,
                    ..
                },
                ..
            }
        ),
        "{error}"
    );
    assert!(
        error.to_string().starts_with(&format!(
            "cannot load {}: the file holds 4294967296 bytes, more than any saved form of this \
             model (",
            padded.display()
        )),
        "{error}"
    );
    assert!(
        start.elapsed() < Duration::from_secs(1),
        "{:?}",
        start.elapsed()
    );
    fs::remove_dir_all(&folder).unwrap();
}

/// What loading `path` into a linear layer says, within 10 seconds.
fn load_within_seconds(path: &Path) -> String {
    let (send, receive) = mpsc::channel();
    let reading = path.to_owned();
    std::thread::spawn(move || send.send(linear().from_disk(&reading).unwrap_err().to_string()));
    let said = receive.recv_timeout(Duration::from_secs(10));
    if said.is_err() {
        // Let a reader blocked on a FIFO go, so that its thread ends.
        drop(fs::OpenOptions::new().write(true).open(path));
    }
    said.expect("from_disk blocked")
}

#[test]
fn a_folder_is_not_read() {
    let folder = temp_folder("folder-load");
    assert_eq!(
        load_within_seconds(&folder),
        format!(
            "{}: a directory, not a regular file: it cannot hold a saved model",
            folder.display()
        )
    );
    fs::remove_dir_all(&folder).unwrap();
}

#[cfg(unix)]
fn mkfifo(path: &Path) {
    let made = std::process::Command::new("mkfifo")
        .arg(path)
        .status()
        .unwrap();
    assert!(made.success());
}

/// A FIFO blocks its reader until a writer comes; `/dev/zero` never ends.
#[cfg(unix)]
#[test]
fn a_fifo_or_a_device_is_not_read() {
    let folder = temp_folder("fifo-load");
    let fifo = folder.join("fifo.weft");
    mkfifo(&fifo);
    assert_eq!(
        load_within_seconds(&fifo),
        format!(
            "{}: a named pipe (FIFO), not a regular file: it cannot hold a saved model",
            fifo.display()
        )
    );
    assert_eq!(
        load_within_seconds(Path::new("/dev/zero")),
        "/dev/zero: a character device, not a regular file: it cannot hold a saved model"
    );
    fs::remove_dir_all(&folder).unwrap();
}
