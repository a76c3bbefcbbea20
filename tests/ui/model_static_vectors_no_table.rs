use weft::model;

fn main() {
    let _ = model!(static_vectors(width = 96) >> reduce_max >> softmax);
}
