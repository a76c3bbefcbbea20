use weft::{Const, Param, Params, layers::Linear};

#[derive(Params)]
struct Tagged {
    linear: Linear<Const<2>, Const<2>>,
    bias: Param,
    label: String,
}

fn main() {}
