use weft::model;

fn main() {
    // `embed` counts its rows in the data: `encoder` is not a model until initialized.
    let encoder = model!(embed >> attention);
    let _ = model!(encoder >> softmax(classes = 2));
}
