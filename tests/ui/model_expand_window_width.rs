use weft::model;

fn main() {
    // A window of one token on each side triples the width: the maxout takes 192.
    let _ = model!(
        embed(width = 64)
            >> residual(expand_window(window = 1) >> maxout(input = 64, width = 64) >> layer_norm)
    );
}
