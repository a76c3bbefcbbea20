use weft::model;

fn main() {
    let _ = model!(embed(width = 100_000_000) >> bilstm);
}
