//! Forms `#[derive(Params)]` accepts: generics of every kind, where clauses, raw identifiers,
//! unit and empty structs, derived layers inside derived layers.

use std::marker::PhantomData;

use weft::{Const, Dim, Param, Params, layers::Linear};

#[derive(Params)]
struct Empty {}

#[derive(Params)]
struct Unit;

#[derive(Params)]
#[weft(kind = "block")]
struct Block<'a, I: Dim, const N: usize, T = ()>
where
    T: Send,
{
    r#in: Linear<I, Const<N>>,
    #[weft(rename = "E")]
    empty: Empty,
    unit: Unit,
    #[weft(attr)]
    name: &'a str,
    #[weft(attr)]
    n_in: I,
    #[weft(attr)]
    n_out: Const<N>,
    #[weft(skip)]
    marker: PhantomData<T>,
}

#[derive(Params)]
struct Outer<L> {
    first: L,
    bias: Param,
    #[weft(attr)]
    depth: usize,
}

fn main() {
    let outer = Outer {
        first: Block::<_, 2> {
            r#in: Linear::new(3usize, Const::<2>),
            empty: Empty {},
            unit: Unit,
            name: "b",
            n_in: 3,
            n_out: Const,
            marker: PhantomData,
        },
        bias: Param::zeros(&[2]),
        depth: 1,
    };
    assert_eq!(
        outer.param_names(),
        [
            "0.outer.first.0.block.in.0.linear.W",
            "0.outer.first.0.block.in.0.linear.b",
            "0.outer.bias"
        ]
    );
    assert_eq!(
        outer.signature().to_string(),
        "0.outer depth=1\n\
         0.outer.first.0.block n_in=3 n_out=2 name=b\n\
         0.outer.first.0.block.in.0.linear n_in=3 n_out=2\n\
         0.outer.first.0.block.E.0.empty\n\
         0.outer.first.0.block.unit.0.unit\n"
    );
}
