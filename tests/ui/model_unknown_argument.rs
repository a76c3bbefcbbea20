use weft::model;

fn main() {
    let _ = model!(embed(widht = 64) >> bilstm);
}
