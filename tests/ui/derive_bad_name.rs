use weft::{Param, Params};

#[derive(Params)]
#[weft(kind = "")]
struct Scaled {
    #[weft(rename = "W.0")]
    weights: Param,
    #[weft(skip, rename = "cache")]
    scratch: Vec<f32>,
}

fn main() {}
