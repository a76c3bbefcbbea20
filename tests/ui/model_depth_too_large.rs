use weft::model;

fn main() {
    let _ = model!(embed >> bilstm(depth = 100000) >> attention);
}
