use weft::layers::Relu;
use weft::{Const, model};

const WIDTH: usize = 64;

fn main() {
    // The macro cannot evaluate WIDTH: rustc compares the widths.
    let _ = model!(embed(rows = 10, width = WIDTH) >> attention >> relu(input = 32));
    let _ = Relu::new(Const::<4>, Const::<4>);
}
