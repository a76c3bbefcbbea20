use weft::{Param, Params};

struct Mode;

#[derive(Params)]
struct Scaled {
    scale: Param,
    #[weft(attr)]
    mode: Mode,
}

fn main() {}
