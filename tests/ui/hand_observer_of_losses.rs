use weft::training::{Examples, Settings, TextClassification, train};
use weft::{Adam, Boxed, Floats2, Ids, Network, Ragged};

fn main() -> weft::Result<()> {
    let examples = Examples::new(vec![vec![1, 2], vec![3]], vec![0, 1])?;
    let network = Network::parse("embed(width = 8) >> reduce_mean >> softmax")?;
    let mut model: Boxed<Ragged<Ids>, Floats2> =
        network.initialize(&examples.inputs(), examples.truths())?;
    let task = TextClassification::new(["rotten", "fresh"]);
    let mut adam = Adam::new(0.05);
    let settings = Settings::default();
    // The losses wanted, but a vector does not observe.
    let mut losses: Vec<f64> = Vec::new();
    train(&mut model, &mut adam, &task, &examples, &examples, &settings, &mut losses)?;
    Ok(())
}
