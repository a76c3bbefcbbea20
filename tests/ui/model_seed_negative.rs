use weft::model;

fn main() {
    let _ = model!(hash_embed(seed = -1) >> attention);
}
