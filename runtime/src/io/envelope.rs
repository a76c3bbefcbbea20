//! The sealed forms other than a model's: a training checkpoint and an optimizer's state
//! ([`Form`]), each one msgpack map `{format, version, contents, checksum}` whose `contents`
//! are the msgpack bytes of what it holds (a bin) and whose `checksum` is their CRC-32
//! (`docs/format.md`, "Checkpoints"). [`seal`] writes it; [`open`] checks the format, the
//! version and the checksum, and only then decodes the contents, strictly.
//!
//! What the contents hold is their writer's business (`training`): this module knows bytes.

use std::borrow::Cow;

use serde::{Deserialize, Serialize};

use crate::io::serialize::{bin, decode, encode, header};

/// A sealed form: the name in its `format` field, the version this build writes and reads,
/// and what it is, in error messages.
pub(crate) struct Form {
    format: &'static str,
    version: u64,
    what: &'static str,
}

/// A checkpoint of a training run (`weft::training::resume`).
pub(crate) const CHECKPOINT: Form = Form {
    format: "weft-checkpoint",
    version: 1,
    what: "checkpoint",
};

/// An optimizer's state (`Optimizer::save_state`).
pub(crate) const OPTIMIZER_STATE: Form = Form {
    format: "weft-optimizer-state",
    version: 1,
    what: "optimizer state",
};

/// A sealed form as it is written.
#[derive(Serialize, Deserialize)]
#[serde(
    deny_unknown_fields,
    expecting = "a map of format, version, contents and checksum"
)]
struct Sealed<'a> {
    format: Cow<'a, str>,
    version: u64,
    /// The msgpack bytes of what the form holds.
    #[serde(borrow, serialize_with = "bin")]
    contents: Cow<'a, [u8]>,
    /// The CRC-32 (ISO-HDLC, as zlib's) of `contents`.
    checksum: u32,
}

/// `contents` sealed in `form`.
pub(crate) fn seal(form: &Form, contents: &impl Serialize) -> Vec<u8> {
    let contents = encode(contents);
    encode(&Sealed {
        format: Cow::Borrowed(form.format),
        version: form.version,
        checksum: crc32fast::hash(&contents),
        contents: Cow::Owned(contents),
    })
}

/// What `bytes`, sealed in `form`, hold. Else why not, in words: not the form (the reason, as
/// for a model), another version, damaged (the checksum differs), or contents that do not
/// decode as a `T`.
pub(crate) fn open<'de, T: Deserialize<'de>>(form: &Form, bytes: &[u8]) -> Result<T, String> {
    let what = form.what;
    let not_one = |reason| format!("not a weft {what}: {reason}");
    let version = header(bytes, form.format, what).map_err(not_one)?;
    if version != form.version {
        return Err(format!(
            "{what} format version {version} is not supported (this build reads version {})",
            form.version
        ));
    }
    let sealed: Sealed = decode(bytes, what).map_err(not_one)?;
    let computed = crc32fast::hash(&sealed.contents);
    if computed != sealed.checksum {
        return Err(format!(
            "the {what} is damaged: its checksum does not match its contents \
             ({:#010x} stored, {computed:#010x} computed)",
            sealed.checksum
        ));
    }
    decode(&sealed.contents, what).map_err(|reason| not_one(format!("its contents: {reason}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A pair of a number and a string, as contents.
    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct Pair {
        n: u64,
        s: String,
    }

    fn sealed() -> Vec<u8> {
        seal(
            &CHECKPOINT,
            &Pair {
                n: 7,
                s: "seven".into(),
            },
        )
    }

    fn refused(bytes: &[u8]) -> String {
        open::<Pair>(&CHECKPOINT, bytes).unwrap_err()
    }

    #[test]
    fn what_is_sealed_opens() {
        let pair: Pair = open(&CHECKPOINT, &sealed()).unwrap();
        assert_eq!(pair.s, "seven");
    }

    /// Every change is refused with its reason: another form, a cut, a flipped bit in the
    /// contents, another version, and contents of another type.
    #[test]
    fn changes_are_refused_naming_them() {
        let bytes = sealed();
        assert_eq!(
            open::<Pair>(&OPTIMIZER_STATE, &bytes).unwrap_err(),
            "not a weft optimizer state: the format field is \"weft-checkpoint\", not \
             \"weft-optimizer-state\""
        );
        assert_eq!(
            refused(&bytes[..40]),
            "not a weft checkpoint: truncated: the bytes end at 40, inside the checkpoint"
        );
        assert_eq!(refused(&[]), "not a weft checkpoint: there are no bytes");
        let mut flipped = bytes.clone();
        let at = bytes.windows(5).position(|w| w == b"seven").unwrap();
        flipped[at] ^= 1;
        assert!(
            refused(&flipped).starts_with(
                "the checkpoint is damaged: its checksum does not match its contents (0x"
            ),
            "{}",
            refused(&flipped)
        );
        let later = encode(&Sealed {
            format: "weft-checkpoint".into(),
            version: 2,
            contents: Cow::Borrowed(&[]),
            checksum: 0,
        });
        assert_eq!(
            refused(&later),
            "checkpoint format version 2 is not supported (this build reads version 1)"
        );
        let other = seal(&CHECKPOINT, &[1u8, 2]);
        assert!(
            refused(&other).starts_with("not a weft checkpoint: its contents: "),
            "{}",
            refused(&other)
        );
    }
}
