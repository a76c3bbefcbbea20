use weft::model;

fn main() {
    let _ = model!(embed(width = 8) >> attention_by(reduce_mean >> relu(width = 4)) >> softmax);
}
