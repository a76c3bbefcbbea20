use weft::model;

fn main() {
    let _ = model!(embed(width = 8.5) >> attention);
}
