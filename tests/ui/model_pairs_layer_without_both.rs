use weft::model;

fn main() {
    let _ = model!(both(embed) >> align >> reduce_sum >> softmax);
}
