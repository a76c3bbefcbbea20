use weft::model;

fn main() {
    let _ = model!(embed(width = 0) >> bilstm);
}
