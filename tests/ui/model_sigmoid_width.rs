use weft::model;

fn main() {
    // `sigmoid` is an output layer, of a width of one per class: not an activation of a width.
    let _ = model!(embed >> reduce_mean >> sigmoid(width = 8) >> softmax);
}
