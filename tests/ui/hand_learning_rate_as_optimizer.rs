use weft::layers::Linear;
use weft::{Const, Params};

fn main() {
    let mut layer = Linear::new(Const::<4>, Const::<2>);
    layer.finish_update(&mut 0.001).unwrap();
}
