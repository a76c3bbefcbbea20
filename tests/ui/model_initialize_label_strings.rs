use weft::{Ragged, model};

fn main() {
    let x = Ragged::from_sequences([vec![1, 2], vec![3]]);
    let labels = vec![String::from("pos"), String::from("neg")];
    let _ = model!(embed >> attention >> softmax).initialize(&x, &labels);
}
