use weft::{Floats2, Model};

/// Doubles its input; `Params` is forgotten.
struct Double;

impl Model for Double {
    type In = Floats2<usize>;
    type Out = Floats2<usize>;

    fn begin_update<'a>(
        &'a self,
        x: Floats2<usize>,
    ) -> (Floats2<usize>, impl FnOnce(Floats2<usize>) -> Floats2<usize> + Send + 'a) {
        (x, |d_y| d_y)
    }

    fn predict(&self, x: Floats2<usize>) -> Floats2<usize> {
        x
    }
}

fn main() {}
