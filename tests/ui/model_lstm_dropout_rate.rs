use weft::model;

fn main() {
    let _ = model!(embed >> bilstm(depth = 2, dropout = 1.5) >> attention);
}
