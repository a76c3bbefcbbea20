use weft::{Data, Floats2, Model, Params, Visit, VisitMut};

/// Texts, as data of the user's own.
struct Texts(Vec<String>);

impl Data for Texts {
    type Grad = weft::NoGrad;
}

/// Counts the words of each text.
struct WordCount;

impl Params for WordCount {
    fn visit(&self, _: &mut Visit<'_>) {}
    fn visit_mut(&mut self, _: &mut VisitMut<'_>) {}
}

impl Model for WordCount {
    type In = Texts;
    type Out = Floats2<usize>;

    fn begin_update<'a>(
        &'a self,
        x: Texts,
    ) -> (Floats2<usize>, impl FnOnce(Floats2<usize>) -> weft::NoGrad + Send + 'a) {
        (self.predict(x), |_| weft::NoGrad)
    }

    fn predict(&self, x: Texts) -> Floats2<usize> {
        Floats2::zeros(x.0.len(), 1)
    }
}

fn main() {
    let _ = WordCount.predict_parallel(Texts(vec![String::from("a text")]));
}
