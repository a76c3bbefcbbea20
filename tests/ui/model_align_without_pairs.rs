use weft::model;

fn main() {
    let _ = model!(embed >> align(difference = true) >> both(reduce_sum) >> concat_sides);
}
