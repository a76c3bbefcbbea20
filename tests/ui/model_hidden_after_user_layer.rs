use weft::combinators::{WithArray, with_array};
use weft::layers::Linear;
use weft::{Const, model};

fn encoder() -> WithArray<Linear<Const<8>, Const<8>>> {
    with_array(Linear::new(Const, Const))
}

fn main() {
    // Each copy builds its own layer of the user's, so no width is read off one of them.
    let _ = model!(embed(width = 8) >> (encoder() >> bilstm) ** 2);
}
