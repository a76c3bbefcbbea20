use weft::model;

fn main() {
    let _ = model!(embed >> attention >> (relu(width = 8) + relu(width = 16)));
}
