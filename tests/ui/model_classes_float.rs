use weft::model;

fn main() {
    let _ = model!(embed >> attention >> softmax(classes = 2.5));
}
