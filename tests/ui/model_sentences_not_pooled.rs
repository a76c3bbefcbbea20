use weft::model;

fn main() {
    // The sentence's network must pool its tokens to one vector: `attention` is missing.
    let _ = model!(sentences(embed >> bilstm) >> bilstm >> attention >> softmax);
}
