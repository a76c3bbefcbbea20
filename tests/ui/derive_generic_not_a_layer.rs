use weft::{Param, Params};

#[derive(Params)]
struct Wrapper<T> {
    inner: T,
    scale: Param,
}

fn save(layer: &impl Params) -> weft::Result<Vec<u8>> {
    layer.to_bytes()
}

fn main() {
    let layer = Wrapper {
        inner: vec![1.0f32],
        scale: Param::zeros(&[1]),
    };
    let _ = save(&layer);
}
