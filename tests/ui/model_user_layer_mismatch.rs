use weft::layers::Relu;
use weft::{Const, model};

fn main() {
    let my_layer = Relu::new(Const::<32>, Const::<16>);
    let _ = model!(embed(rows = 100, width = 64) >> attention >> my_layer >> softmax(classes = 2));
}
