use weft::{Const, Data, Floats2, Model, NoGrad, Params, Visit, VisitMut, model};

/// Texts as strings: a data type of the user's.
struct Texts(Vec<String>);

impl Data for Texts {
    type Grad = NoGrad;
}

/// The length of each text, a feature.
struct Lengths;

impl Params for Lengths {
    fn visit(&self, _: &mut Visit<'_>) {}
    fn visit_mut(&mut self, _: &mut VisitMut<'_>) {}
}

impl Model for Lengths {
    type In = Texts;
    type Out = Floats2<Const<1>>;
    fn begin_update<'a>(
        &'a self,
        x: Texts,
    ) -> (Floats2<Const<1>>, impl FnOnce(Floats2<Const<1>>) -> NoGrad + Send + 'a) {
        (self.predict(x), |_| NoGrad)
    }
    fn predict(&self, x: Texts) -> Floats2<Const<1>> {
        let lengths: Vec<[f32; 1]> = x.0.iter().map(|t| [t.len() as f32]).collect();
        Floats2::from_rows(&lengths)
    }
}

fn main() {
    let x = Texts(vec!["a text".into()]);
    let _ = model!(Lengths >> softmax).initialize(&x, &vec![0]);
}
