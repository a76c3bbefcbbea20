use weft::{Model, Ragged, model};

fn main() {
    let x = Ragged::from_sequences([vec![1, 2]]);
    let network = model!(embed(rows = 10, width = 8) >> reduce_mean >> softmax(classes = 2));
    let _ = network.initialize(&x, &vec![0]);
}
