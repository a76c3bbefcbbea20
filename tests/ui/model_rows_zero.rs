use weft::model;

fn main() {
    let _ = model!(embed(rows = 0) >> attention);
}
