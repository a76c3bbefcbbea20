use weft::model;

fn main() {
    let _ = model!(embed >> attention >> relu ** 1_000_000);
}
