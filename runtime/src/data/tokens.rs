//! Token ids ([`Ids`]) and hash keys ([`Keys`]), the inputs of embeddings, and their gradient,
//! [`NoGrad`].

use crate::data::{Accumulate, Data, Rows, Values};

/// One token id per row: the input of [`Embed`](crate::layers::Embed).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Ids(pub Vec<u32>);

/// One 64-bit key per row (a hash of the token's text, say): the input of
/// [`HashEmbed`](crate::layers::HashEmbed).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Keys(pub Vec<u64>);

impl Data for Ids {
    type Grad = NoGrad;
}

impl Data for Keys {
    type Grad = NoGrad;
}

impl Rows for Ids {
    fn rows(&self) -> usize {
        self.0.len()
    }
}

impl Rows for Keys {
    fn rows(&self) -> usize {
        self.0.len()
    }
}

/// The gradient of integer inputs (token ids, hash keys): there is none.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub struct NoGrad;

impl Accumulate for NoGrad {
    fn accumulate(&mut self, _: &Self) {}
}

impl Data for NoGrad {
    type Grad = NoGrad;
}

impl Rows for NoGrad {
    fn rows(&self) -> usize {
        0
    }
}

/// Integer data and [`NoGrad`] hold no floats.
macro_rules! no_values {
    ($($t:ty),*) => {$(
        impl Values for $t {
            fn values(&self) -> &[f32] {
                &[]
            }
            fn values_mut(&mut self) -> &mut [f32] {
                &mut []
            }
        }
    )*};
}

no_values!(NoGrad, Ids, Keys);
