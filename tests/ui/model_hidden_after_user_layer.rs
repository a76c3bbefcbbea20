use weft::combinators::with_array;
use weft::layers::Embed;
use weft::{Const, model};

fn main() {
    let my_embed = with_array(Embed::new(100, Const::<32>));
    let _ = model!(my_embed >> bilstm >> attention);
}
