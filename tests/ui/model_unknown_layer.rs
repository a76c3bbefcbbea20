use weft::model;

fn main() {
    let _ = model!(embed >> bilsm(hidden = 64) >> softmax);
}
