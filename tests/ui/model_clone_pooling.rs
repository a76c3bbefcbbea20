use weft::model;

fn main() {
    let _ = model!(embed >> (bilstm >> attention) ** 2 >> softmax);
}
