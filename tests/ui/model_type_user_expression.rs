use weft::model_type;

struct Tagger {
    network: model_type!(embed(width = 8) >> Relu::new(8, 8) >> softmax(classes = 2)),
}

fn main() {}
