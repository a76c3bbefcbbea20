use weft::{Param, Params};

#[derive(Params)]
#[weft(name = "scaled")]
struct Scaled {
    #[weft(skipp)]
    scale: Param,
    #[weft(rename)]
    bias: Param,
    #[weft(skip, attr)]
    cache: Vec<f32>,
}

fn main() {}
