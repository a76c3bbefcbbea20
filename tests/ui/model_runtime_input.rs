use weft::model;

fn main() {
    let expected = 64;
    let _ = model!(embed(rows = 10) >> attention >> relu(input = expected));
}
