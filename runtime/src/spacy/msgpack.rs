//! A MessagePack value read whole from bytes, borrowing its strings and binaries: what spaCy's
//! files (`srsly.msgpack_dumps`) hold. Every malformed input is an error saying where, never a
//! panic.

use rmp::Marker;

/// The deepest nesting read: deeper input is refused rather than overflowing the stack.
const MAX_DEPTH: usize = 64;

/// One MessagePack value.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Value<'a> {
    Nil,
    Bool(bool),
    /// Any integer (msgpack's signed and unsigned, up to 64 bits).
    Int(i128),
    Float(f64),
    Str(&'a str),
    Bin(&'a [u8]),
    Array(Vec<Value<'a>>),
    /// Entries in the order written.
    Map(Vec<(Value<'a>, Value<'a>)>),
    /// An extension type: its type and data.
    Ext(i8, &'a [u8]),
}

impl<'a> Value<'a> {
    /// Reads the one value `bytes` hold; an error when they hold less, or more.
    pub(crate) fn decode(bytes: &'a [u8]) -> Result<Value<'a>, String> {
        let mut reader = Reader { bytes, at: 0 };
        let value = reader.value(0)?;
        match reader.at == bytes.len() {
            true => Ok(value),
            false => Err(format!(
                "{} bytes after the value that ends at byte {}",
                bytes.len() - reader.at,
                reader.at
            )),
        }
    }

    /// The entry of a map under `key`, a string or a binary of its bytes (srsly writes the
    /// keys of its numpy arrays as binaries); `None` when there is none or this is no map.
    pub(crate) fn get(&self, key: &str) -> Option<&Value<'a>> {
        match self {
            Value::Map(entries) => entries
                .iter()
                .find(|(k, _)| k.key_bytes() == Some(key.as_bytes()))
                .map(|(_, v)| v),
            _ => None,
        }
    }

    /// The bytes of a string or a binary.
    pub(crate) fn key_bytes(&self) -> Option<&'a [u8]> {
        match *self {
            Value::Str(s) => Some(s.as_bytes()),
            Value::Bin(b) => Some(b),
            _ => None,
        }
    }

    /// What kind of value this is, for messages.
    pub(crate) fn kind(&self) -> &'static str {
        match self {
            Value::Nil => "nil",
            Value::Bool(_) => "a boolean",
            Value::Int(_) => "an integer",
            Value::Float(_) => "a float",
            Value::Str(_) => "a string",
            Value::Bin(_) => "a binary",
            Value::Array(_) => "an array",
            Value::Map(_) => "a map",
            Value::Ext(..) => "an extension value",
        }
    }
}

/// A cursor over the bytes.
struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], String> {
        let end = self
            .at
            .checked_add(n)
            .filter(|&end| end <= self.bytes.len());
        let end = end.ok_or_else(|| {
            format!(
                "truncated: {n} bytes wanted at byte {}, the data ends at {}",
                self.at,
                self.bytes.len()
            )
        })?;
        let taken = &self.bytes[self.at..end];
        self.at = end;
        Ok(taken)
    }

    fn uint(&mut self, width: usize) -> Result<u64, String> {
        Ok(self
            .take(width)?
            .iter()
            .fold(0, |n, &byte| (n << 8) | u64::from(byte)))
    }

    fn int(&mut self, width: usize) -> Result<i64, String> {
        let n = self.uint(width)?;
        let shift = 64 - 8 * width as u32;
        Ok(((n << shift) as i64) >> shift)
    }

    fn len(&mut self, width: usize) -> Result<usize, String> {
        usize::try_from(self.uint(width)?).map_err(|_| "a length beyond usize".to_string())
    }

    fn str(&mut self, len: usize) -> Result<&'a str, String> {
        let at = self.at;
        std::str::from_utf8(self.take(len)?)
            .map_err(|err| format!("the string at byte {at} is not UTF-8: {err}"))
    }

    fn array(&mut self, len: usize, depth: usize) -> Result<Value<'a>, String> {
        // Each value takes a byte at least: a count beyond the bytes left is a lie.
        let items = self.bounded(len)?;
        (0..items)
            .map(|_| self.value(depth + 1))
            .collect::<Result<_, _>>()
            .map(Value::Array)
    }

    fn map(&mut self, len: usize, depth: usize) -> Result<Value<'a>, String> {
        let entries = self.bounded(len)?;
        (0..entries)
            .map(|_| Ok((self.value(depth + 1)?, self.value(depth + 1)?)))
            .collect::<Result<_, String>>()
            .map(Value::Map)
    }

    /// `count`, refused when more items than bytes are left.
    fn bounded(&self, count: usize) -> Result<usize, String> {
        match count <= self.bytes.len() - self.at {
            true => Ok(count),
            false => Err(format!(
                "truncated: {count} items announced at byte {}, {} bytes left",
                self.at,
                self.bytes.len() - self.at
            )),
        }
    }

    fn ext(&mut self, len: usize) -> Result<Value<'a>, String> {
        let kind = self.int(1)? as i8;
        Ok(Value::Ext(kind, self.take(len)?))
    }

    fn value(&mut self, depth: usize) -> Result<Value<'a>, String> {
        if depth > MAX_DEPTH {
            return Err(format!(
                "values nested deeper than {MAX_DEPTH} at byte {}",
                self.at
            ));
        }
        let at = self.at;
        let marker = Marker::from_u8(self.take(1)?[0]);
        Ok(match marker {
            Marker::Null => Value::Nil,
            Marker::True => Value::Bool(true),
            Marker::False => Value::Bool(false),
            Marker::FixPos(n) => Value::Int(n.into()),
            Marker::FixNeg(n) => Value::Int(n.into()),
            Marker::U8 => Value::Int(self.uint(1)?.into()),
            Marker::U16 => Value::Int(self.uint(2)?.into()),
            Marker::U32 => Value::Int(self.uint(4)?.into()),
            Marker::U64 => Value::Int(self.uint(8)?.into()),
            Marker::I8 => Value::Int(self.int(1)?.into()),
            Marker::I16 => Value::Int(self.int(2)?.into()),
            Marker::I32 => Value::Int(self.int(4)?.into()),
            Marker::I64 => Value::Int(self.int(8)?.into()),
            Marker::F32 => Value::Float(f32::from_bits(self.uint(4)? as u32).into()),
            Marker::F64 => Value::Float(f64::from_bits(self.uint(8)?)),
            Marker::FixStr(n) => Value::Str(self.str(n.into())?),
            Marker::Str8 => Value::Str(self.str_of(1)?),
            Marker::Str16 => Value::Str(self.str_of(2)?),
            Marker::Str32 => Value::Str(self.str_of(4)?),
            Marker::Bin8 => Value::Bin(self.bin_of(1)?),
            Marker::Bin16 => Value::Bin(self.bin_of(2)?),
            Marker::Bin32 => Value::Bin(self.bin_of(4)?),
            Marker::FixArray(n) => self.array(n.into(), depth)?,
            Marker::Array16 => self.array_of(2, depth)?,
            Marker::Array32 => self.array_of(4, depth)?,
            Marker::FixMap(n) => self.map(n.into(), depth)?,
            Marker::Map16 => self.map_of(2, depth)?,
            Marker::Map32 => self.map_of(4, depth)?,
            Marker::FixExt1 => self.ext(1)?,
            Marker::FixExt2 => self.ext(2)?,
            Marker::FixExt4 => self.ext(4)?,
            Marker::FixExt8 => self.ext(8)?,
            Marker::FixExt16 => self.ext(16)?,
            Marker::Ext8 => self.ext_of(1)?,
            Marker::Ext16 => self.ext_of(2)?,
            Marker::Ext32 => self.ext_of(4)?,
            Marker::Reserved => return Err(format!("byte {at} is no MessagePack value (0xc1)")),
        })
    }

    fn str_of(&mut self, width: usize) -> Result<&'a str, String> {
        let len = self.len(width)?;
        self.str(len)
    }

    fn bin_of(&mut self, width: usize) -> Result<&'a [u8], String> {
        let len = self.len(width)?;
        self.take(len)
    }

    fn array_of(&mut self, width: usize, depth: usize) -> Result<Value<'a>, String> {
        let len = self.len(width)?;
        self.array(len, depth)
    }

    fn map_of(&mut self, width: usize, depth: usize) -> Result<Value<'a>, String> {
        let len = self.len(width)?;
        self.map(len, depth)
    }

    fn ext_of(&mut self, width: usize) -> Result<Value<'a>, String> {
        let len = self.len(width)?;
        self.ext(len)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What `srsly.msgpack_dumps({"a": [1, -2, 3.5, None, True], b"k": "é"})` writes.
    const SRSLY: &[u8] =
        b"\x82\xa1a\x95\x01\xfe\xcb@\x0c\x00\x00\x00\x00\x00\x00\xc0\xc3\xc4\x01k\xa2\xc3\xa9";

    #[test]
    fn reads_what_srsly_writes() {
        let value = Value::decode(SRSLY).unwrap();
        let items = [
            Value::Int(1),
            Value::Int(-2),
            Value::Float(3.5),
            Value::Nil,
            Value::Bool(true),
        ];
        assert_eq!(value.get("a"), Some(&Value::Array(items.to_vec())));
        assert_eq!(value.get("k"), Some(&Value::Str("é")));
        assert_eq!(value.get("z"), None);
    }

    #[test]
    fn every_cut_of_the_bytes_is_an_error() {
        for end in 0..SRSLY.len() {
            let err = Value::decode(&SRSLY[..end]).unwrap_err();
            assert!(err.contains("truncated"), "{end}: {err}");
        }
    }

    #[test]
    fn refuses_what_follows_the_value_and_lying_counts() {
        let mut longer = SRSLY.to_vec();
        longer.push(0);
        let err = Value::decode(&longer).unwrap_err();
        assert!(err.contains("1 bytes after the value"), "{err}");
        let err = Value::decode(b"\xdd\xff\xff\xff\xff").unwrap_err();
        assert!(err.contains("4294967295 items announced"), "{err}");
        let err = Value::decode(&[0x91; 100]).unwrap_err();
        assert!(err.contains("nested deeper"), "{err}");
        let err = Value::decode(b"\xc1").unwrap_err();
        assert!(err.contains("no MessagePack value"), "{err}");
    }

    #[test]
    fn reads_wide_integers_with_their_sign() {
        assert_eq!(Value::decode(b"\xd0\x80"), Ok(Value::Int(-128)));
        assert_eq!(Value::decode(b"\xd1\xff\xfe"), Ok(Value::Int(-2)));
        let max = Value::decode(b"\xcf\xff\xff\xff\xff\xff\xff\xff\xff");
        assert_eq!(max, Ok(Value::Int(u64::MAX.into())));
    }
}
