use weft::model;

fn main() {
    // `sparse_linear` reads the hashed features themselves, not their vectors.
    let _ = model!(hash_embed(width = 64) >> sparse_linear(classes = 3));
}
