use weft::{Model, Ragged, model};

fn main() {
    let model = model!(embed >> bilstm >> attention >> softmax);
    let _ = model.predict(Ragged::from_sequences([vec![1, 2]]));
}
