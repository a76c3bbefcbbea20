use weft::model;

fn main() {
    let _ = model!(embed >> (bilstm + attention) >> softmax);
}
