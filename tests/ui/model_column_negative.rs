use weft::model;

fn main() {
    let _ = model!(hash_embed(column = -1) >> attention);
}
