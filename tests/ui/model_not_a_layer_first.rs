use weft::model;

fn main() {
    let text = String::from("not a layer");
    let _ = model!(text >> relu(width = 8) >> softmax(classes = 2));
}
