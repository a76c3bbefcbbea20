use weft::{Param, Params};

#[derive(Params)]
struct Pair(Param, Param);

fn main() {}
