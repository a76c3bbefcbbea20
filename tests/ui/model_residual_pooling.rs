use weft::model;

fn main() {
    let _ = model!(embed >> residual(attention) >> softmax);
}
