use weft::model;

fn main() {
    let _ = model!(embed >> attention >> maxout(width = 8, pieces = 0));
}
