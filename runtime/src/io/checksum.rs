//! The checksum of a saved model, from format version 2 on: CRC-32 over everything the model's
//! layers and parameters hold, so that a flipped bit, a swapped path or a changed shape in a
//! file is refused rather than loaded as other weights.
//!
//! The sum is taken over a stream in which every item is framed: a count (of layers,
//! attributes, parameters or dimensions) or a dimension is 8 bytes, little-endian; a string is
//! its length so written, then its bytes. So no two different contents give the same stream.
//! The algorithm is CRC-32 as zlib, PNG and Ethernet compute it (ISO-HDLC: polynomial
//! `0x04C11DB7`, reflected, initial value and final XOR `0xFFFFFFFF`): any other
//! implementation of the format finds it in its standard library. `docs/format.md` states the
//! stream field by field.

use crc32fast::Hasher;

use crate::io::serialize::Tensor;
use crate::model::Signature;

/// The checksum of a saved model's `layers` and `params`: each layer's path and attributes (in
/// the order of their names), then each parameter's path, shape, element type and data, in the
/// order the file holds them.
pub(crate) fn checksum(layers: &Signature, params: &[Tensor<'_>]) -> u32 {
    let mut stream = Stream::new();
    stream.count(layers.layers.len());
    for layer in &layers.layers {
        stream.bytes(layer.path.as_bytes());
        stream.count(layer.attrs.len());
        for (name, value) in &layer.attrs {
            stream.bytes(name.as_bytes());
            stream.bytes(value.as_bytes());
        }
    }
    stream.count(params.len());
    for tensor in params {
        stream.bytes(tensor.path.as_bytes());
        stream.count(tensor.shape.len());
        tensor.shape.iter().for_each(|&size| stream.count(size));
        stream.bytes(tensor.dtype.as_bytes());
        stream.bytes(&tensor.data);
    }
    stream.sum()
}

/// A CRC-32 over framed items: the model's checksum, and a checkpoint's of its examples.
pub(crate) struct Stream(Hasher);

impl Stream {
    /// A stream of no item yet.
    pub(crate) fn new() -> Self {
        Stream(Hasher::new())
    }

    /// Adds a count or a size: 8 bytes, little-endian.
    pub(crate) fn count(&mut self, count: usize) {
        self.0.update(&(count as u64).to_le_bytes());
    }

    /// Adds a string of bytes: its length, then its bytes.
    pub(crate) fn bytes(&mut self, bytes: &[u8]) {
        self.count(bytes.len());
        self.0.update(bytes);
    }

    /// The CRC-32 of the items so far.
    pub(crate) fn sum(self) -> u32 {
        self.0.finalize()
    }
}

#[cfg(test)]
mod tests {
    use std::borrow::Cow;
    use std::collections::BTreeMap;

    use super::*;
    use crate::model::LayerSignature;

    /// The stream of a one-layer, one-parameter model, written out by hand as another
    /// implementation of the format would, gives the same sum.
    #[test]
    fn the_stream_is_as_documented() {
        let layers = Signature {
            layers: vec![LayerSignature {
                path: "0.scale".into(),
                attrs: BTreeMap::from([("width".into(), "1".into())]),
            }],
        };
        let params = [Tensor {
            path: "0.scale.W".into(),
            shape: vec![1],
            dtype: "f32".into(),
            data: Cow::Owned(1.5f32.to_le_bytes().to_vec()),
        }];
        fn count(stream: &mut Vec<u8>, count: u64) {
            stream.extend(count.to_le_bytes());
        }
        fn string(stream: &mut Vec<u8>, bytes: &[u8]) {
            count(stream, bytes.len() as u64);
            stream.extend(bytes);
        }
        let mut stream = Vec::new();
        count(&mut stream, 1); // layers
        string(&mut stream, b"0.scale");
        count(&mut stream, 1); // attributes
        string(&mut stream, b"width");
        string(&mut stream, b"1");
        count(&mut stream, 1); // parameters
        string(&mut stream, b"0.scale.W");
        count(&mut stream, 1); // dimensions
        count(&mut stream, 1);
        string(&mut stream, b"f32");
        string(&mut stream, &1.5f32.to_le_bytes());
        assert_eq!(checksum(&layers, &params), crc32fast::hash(&stream));
        // CRC-32/ISO-HDLC's check value.
        assert_eq!(crc32fast::hash(b"123456789"), 0xCBF4_3926);
    }
}
