use weft::model;

fn main() {
    let _ = model!(both(embed) >> align(product = 1) >> both(reduce_max) >> concat_sides);
}
