use weft::model;

fn main() {
    let _ = model!(embed >> bilstm(dropout = 0.3) >> attention);
}
