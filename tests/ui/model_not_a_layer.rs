use weft::model;

fn main() {
    let text = String::from("not a layer");
    let _ = model!(embed(rows = 100) >> attention >> text);
}
