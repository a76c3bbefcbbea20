use weft::{Param, Params};

#[derive(Params)]
struct Affine {
    #[weft(rename = "b")]
    weights: Param,
    b: Param,
}

fn main() {}
