use weft::model;

fn main() {
    let _ = model!(embed(64) >> bilstm);
}
