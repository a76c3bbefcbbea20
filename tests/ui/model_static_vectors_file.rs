use weft::model;

fn main() {
    // A table is read before the network is built; only a network written as text reads files.
    let _ = model!(static_vectors(vectors = "vectors.txt", width = 96) >> reduce_max >> softmax);
}
