use weft::model;

fn main() {
    let _ = model!(embed >> (bilstm | reduce_mean) >> softmax);
}
