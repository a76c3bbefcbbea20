use weft::{Keys, Ragged, model};

fn main() {
    let x = Ragged::new(Keys(vec![11, 12, 13]), vec![3]).unwrap();
    let _ = model!(hash_embed >> reduce_max >> softmax).initialize(&x, &vec![0]);
}
