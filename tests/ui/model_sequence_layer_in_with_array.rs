use weft::model;

fn main() {
    let _ = model!(embed >> with_array(bilstm));
}
