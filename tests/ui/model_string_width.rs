use weft::model;

fn main() {
    let _ = model!(embed(width = "64") >> bilstm);
}
