use weft::model;

fn main() {
    let _ = model!(embed >> attention >> dropout(rate = -0.1));
}
