use weft::model;

fn main() {
    let _ = model!(embed >> attention >> residual(relu, relu));
}
