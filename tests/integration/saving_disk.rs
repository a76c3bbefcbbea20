//! Saving to and loading from disk: what stands at the path, how long the file is, how long its
//! name, and what a killed save leaves behind.

use std::fs;
use std::path::Path;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use weft::layers::Embed;
use weft::{Const as C, Error, LoadError, Params};

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

/// The hidden files in `folder`: the temporary files of saves.
fn hidden(folder: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(folder)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.starts_with('.'))
        .collect();
    names.sort();
    names
}

/// The temporary file's name does not grow with the target's: a name of 250 bytes, under the
/// 255 that file systems allow, saves.
#[test]
fn a_250_byte_name_saves_and_loads() {
    let folder = temp_folder("long-name");
    let path = folder.join(format!("{}.weft", "m".repeat(245)));
    let model = linear();
    model.to_disk(&path).unwrap();
    let mut loaded = linear();
    loaded.from_disk(&path).unwrap();
    assert_eq!(loaded.to_bytes().unwrap(), model.to_bytes().unwrap());
    fs::remove_dir_all(&folder).unwrap();
}

/// Saves a 40 MB model to the path in `WEFT_SAVE_LOOP` over and over, until it is killed: the
/// child process of `a_killed_save_leaves_nothing_after_the_next_save`.
#[test]
#[ignore = "the child process of a_killed_save_leaves_nothing_after_the_next_save"]
fn save_in_a_loop() {
    let Some(path) = std::env::var_os("WEFT_SAVE_LOOP") else {
        return;
    };
    let model = Embed::new(100_000, C::<100>);
    loop {
        model.to_disk(&path).unwrap();
    }
}

/// A process killed while it writes its temporary file leaves it behind; the next save of the
/// same file removes it.
#[cfg(unix)]
#[test]
fn a_killed_save_leaves_nothing_after_the_next_save() {
    use std::process::{Command, Stdio};
    let folder = temp_folder("killed-save");
    let path = folder.join("model.weft");
    // Kill the child while a temporary file is there; it may be renamed in between, so try
    // again, a few times.
    for _ in 0..20 {
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args(["--exact", "saving_disk::save_in_a_loop", "--ignored"])
            .env("WEFT_SAVE_LOOP", &path)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let start = Instant::now();
        while hidden(&folder).is_empty() && start.elapsed() < Duration::from_secs(60) {
            std::thread::sleep(Duration::from_millis(1));
        }
        child.kill().unwrap();
        child.wait().unwrap();
        if !hidden(&folder).is_empty() {
            break;
        }
    }
    assert_eq!(hidden(&folder).len(), 1, "no save was killed while writing");
    linear().to_disk(&path).unwrap();
    assert_eq!(hidden(&folder), Vec::<String>::new());
    linear().from_disk(&path).unwrap();
    fs::remove_dir_all(&folder).unwrap();
}

/// What saving to `path` says; the thing at `path` must be left as it was.
#[cfg(unix)]
fn save_error(path: &Path) -> String {
    let before = fs::symlink_metadata(path).unwrap().file_type();
    let error = linear().to_disk(path).unwrap_err();
    assert!(matches!(error, Error::Io { .. }));
    assert_eq!(fs::symlink_metadata(path).unwrap().file_type(), before);
    error.to_string()
}

/// Saving replaces a regular file, never a symbolic link (the rename would replace the link,
/// not write where it points), a FIFO or a device node (as root, `/dev/null`).
#[cfg(unix)]
#[test]
fn saving_never_replaces_a_link_a_fifo_or_a_device() {
    let folder = temp_folder("not-regular");
    let real = folder.join("real.weft");
    fs::write(&real, b"keep").unwrap();
    let link = folder.join("link.weft");
    std::os::unix::fs::symlink(&real, &link).unwrap();
    assert_eq!(
        save_error(&link),
        format!(
            "{}: a symbolic link, not a regular file: saving replaces regular files only",
            link.display()
        )
    );
    assert_eq!(fs::read(&real).unwrap(), b"keep");

    let fifo = folder.join("fifo.weft");
    mkfifo(&fifo);
    assert_eq!(
        save_error(&fifo),
        format!(
            "{}: a named pipe (FIFO), not a regular file: saving replaces regular files only",
            fifo.display()
        )
    );

    // A device node like /dev/null, where the system lets this process make one (as root).
    let device = folder.join("null.weft");
    let made = std::process::Command::new("mknod")
        .args([device.as_os_str(), "c".as_ref(), "1".as_ref(), "3".as_ref()])
        .stderr(std::process::Stdio::null())
        .status();
    if made.is_ok_and(|status| status.success()) {
        assert_eq!(
            save_error(&device),
            format!(
                "{}: a character device, not a regular file: saving replaces regular files only",
                device.display()
            )
        );
    }
    assert_eq!(hidden(&folder), Vec::<String>::new());
    fs::remove_dir_all(&folder).unwrap();
}
