use weft::model;

fn main() {
    // spaCy's config gives the encoder a width; here it is the width of its input.
    let _ = model!(hash_embed(width = 96) >> maxout_window_encoder(width = 96) >> softmax(classes = 3));
}
