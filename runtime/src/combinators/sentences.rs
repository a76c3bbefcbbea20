//! [`Sentences`]: a sequence model run over every sentence of a batch of documents.
//!
//! Shapes: [`Documents<T>`](crate::Documents) (`Ragged<Ragged<T>>`: documents of sentences of
//! tokens `T`) → `Ragged<Floats2<W>>` (documents of sentence vectors). The inner model takes
//! the sentences of every document at once, packed as one `Ragged<T>` batch, and outputs one
//! row per sentence, `Floats2<W>`; the rows are grouped back by document, so that what follows
//! reads each document as a sequence whose tokens are its sentences. A hierarchical attention
//! network (Yang et al. 2016: words → sentence vectors → document vector) is then
//! `sentences(embed >> bilstm >> attention) >> bilstm >> attention >> softmax`.
//!
//! Backprop hands the inner model the gradient of the sentence rows, ungrouped.
//!
//! Empty parts are lengths of 0 and need no care: a sentence of no tokens gets the vector the
//! inner model gives an empty sequence (zeros after `attention` or `reduce_*`), and a document
//! of no sentences is an empty sequence to the model after `sentences` (pooled to zeros, so a
//! softmax after it gives the probabilities of its bias alone).

use crate::data::{Dim, Floats2, Grad, Ragged, Rows};
use crate::model::{Model, Params, Visit, VisitMut};

/// Runs a sequence model from `Ragged<T>` to `Floats2<W>` (one vector per sentence) over every
/// sentence of a batch of documents: `Ragged<Ragged<T>>` → `Ragged<Floats2<W>>`.
pub struct Sentences<M> {
    model: M,
}

/// Runs `model`, which takes sentences and outputs one vector each, over the sentences of
/// documents, and hands on the vectors grouped by document.
///
/// ```
/// use weft_runtime::{Const, Documents, Model, combinators::{chain, sentences, with_array}};
/// use weft_runtime::layers::{Embed, ReduceMean};
/// let model = sentences(chain(with_array(Embed::new(10, Const::<4>)), ReduceMean::new(Const::<4>)));
/// let docs = Documents::from_documents([vec![vec![1, 2], vec![3]], vec![], vec![vec![4]]]);
/// let y = model.predict(docs);
/// // One vector per sentence, grouped by document.
/// assert_eq!(y.lengths(), &[2, 0, 1]);
/// assert_eq!(y.data().view().dim(), (3, 4));
/// ```
pub fn sentences<M, W>(model: M) -> Sentences<M>
where
    M: Model<Out = Floats2<W>>,
    M::In: Rows,
    W: Dim,
{
    Sentences { model }
}

impl<M: Params> Params for Sentences<M> {
    fn visit(&self, walk: &mut Visit<'_>) {
        walk.combinator("sentences", &mut [&mut |walk| self.model.visit(walk)]);
    }
    fn visit_mut(&mut self, walk: &mut VisitMut<'_>) {
        walk.combinator("sentences", &mut [&mut |walk| self.model.visit_mut(walk)]);
    }
}

impl<M, W> Model for Sentences<M>
where
    M: Model<Out = Floats2<W>>,
    M::In: Rows,
    W: Dim,
{
    type In = Ragged<M::In>;
    type Out = Ragged<Floats2<W>>;

    fn begin_update<'a>(
        &'a self,
        x: Ragged<M::In>,
    ) -> (
        Ragged<Floats2<W>>,
        impl FnOnce(Ragged<Floats2<W>>) -> Ragged<Grad<M::In>> + Send + 'a,
    ) {
        let (sentences, lengths) = x.into_parts();
        let count = sentences.rows();
        let (vectors, backprop_model) = self.model.begin_update(sentences);
        check_one_per_sentence(count, &vectors);
        let y = Ragged::wrap(vectors, lengths.clone());
        let backprop = move |d_y: Ragged<Floats2<W>>| {
            let (d_vectors, d_lengths) = d_y.into_parts();
            assert!(
                d_lengths == lengths,
                "sentences: backprop given a gradient of {} documents with {} sentences, but the \
                 output has {} documents with {count} sentences",
                d_lengths.len(),
                d_vectors.rows(),
                lengths.len(),
            );
            Ragged::wrap(backprop_model(d_vectors), lengths)
        };
        (y, backprop)
    }

    fn predict(&self, x: Ragged<M::In>) -> Ragged<Floats2<W>> {
        let (sentences, lengths) = x.into_parts();
        let count = sentences.rows();
        let vectors = self.model.predict(sentences);
        check_one_per_sentence(count, &vectors);
        Ragged::wrap(vectors, lengths)
    }
}

/// Panics unless the inner model gave one vector for each of the `count` sentences.
#[track_caller]
fn check_one_per_sentence<W: Dim>(count: usize, vectors: &Floats2<W>) {
    assert!(
        vectors.rows() == count,
        "sentences: the inner model output {} rows for {count} sentences; it must pool each \
         sentence to one vector",
        vectors.rows()
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::combinators::{chain, with_array};
    use crate::data::{Const, Documents, Floats2, Ids, NoGrad};
    use crate::layers::{Attention, BiLstm, Embed, Softmax};
    use crate::model::Params;
    use crate::training::{GradcheckOptions, gradcheck};

    /// Sentences of vectors of width 2, as documents: `lengths` sentences per document, of
    /// `tokens` tokens each.
    fn documents(lengths: Vec<usize>, tokens: Vec<usize>) -> Ragged<Ragged<Floats2<Const<2>>>> {
        let rows = tokens.iter().sum::<usize>();
        let values = (0..rows * 2).map(|i| ((i * 7 % 11) as f32 - 5.0) / 4.0);
        let rows =
            Floats2::new(ndarray::Array2::from_shape_vec((rows, 2), values.collect()).unwrap());
        let sentences = Ragged::new(rows.unwrap(), tokens).unwrap();
        Ragged::new(sentences, lengths).unwrap()
    }

    /// Words → sentence vectors → a document vector → classes, on vectors of width 2.
    fn hierarchical() -> impl Model<In = Ragged<Ragged<Floats2<Const<2>>>>, Out = Floats2<Const<3>>>
    {
        let words = chain(
            BiLstm::new(Const::<2>, Const::<2>, 1),
            Attention::new(Const::<4>),
        );
        let document = chain(
            BiLstm::new(Const::<4>, Const::<2>, 1),
            Attention::new(Const::<4>),
        );
        chain(
            sentences(words),
            chain(document, Softmax::new(Const::<4>, Const::<3>)),
        )
    }

    #[test]
    fn gradients_reach_both_levels_and_match_finite_differences() {
        let mut model = hierarchical();
        // Documents of 2, 1 and 3 sentences, one of them without tokens.
        let x = documents(vec![2, 1, 3], vec![3, 1, 2, 0, 4, 1]);
        let report = gradcheck(&mut model, &x, &GradcheckOptions::default()).unwrap();
        assert!(report.checked > 100, "{report}");
    }

    /// A document without sentences, a sentence without tokens, and a batch of no documents:
    /// defined outputs and gradients, no panic.
    #[test]
    fn empty_documents_and_sentences_are_sequences_of_length_zero() {
        let mut model = hierarchical();
        let x = documents(vec![0, 2, 0], vec![0, 3]);
        gradcheck(&mut model, &x, &GradcheckOptions::default()).unwrap();
        // Both documents without sentences pool to zeros: the softmax of the bias alone.
        let y = model.predict(x);
        assert_eq!(y.view().row(0), y.view().row(2));
        let (y, backprop) = model.begin_update(documents(vec![], vec![]));
        assert_eq!(y.rows(), 0);
        let d_x = backprop(y);
        assert_eq!((d_x.len(), d_x.data().len()), (0, 0));
    }

    #[test]
    fn parameters_are_named_as_in_a_flat_chain() {
        let words = chain(
            with_array(Embed::new(10, Const::<4>)),
            Attention::new(Const::<4>),
        );
        let model = chain(sentences(words), Attention::new(Const::<4>));
        assert_eq!(
            model.param_names(),
            ["0.embed.E", "1.attention.Q", "2.attention.Q"]
        );
        let docs = Documents::from_documents([vec![vec![1, 2], vec![]], vec![]]);
        assert_eq!(model.predict(docs).rows(), 2);
    }

    /// A sentence model that forgets to pool: a row per token.
    struct Unpooled;

    impl Params for Unpooled {
        fn visit(&self, _: &mut Visit<'_>) {}
        fn visit_mut(&mut self, _: &mut VisitMut<'_>) {}
    }

    impl Model for Unpooled {
        type In = Ragged<Ids>;
        type Out = Floats2<Const<1>>;

        fn begin_update<'a>(
            &'a self,
            x: Ragged<Ids>,
        ) -> (
            Floats2<Const<1>>,
            impl FnOnce(Floats2<Const<1>>) -> Ragged<NoGrad> + Send + 'a,
        ) {
            let lengths = x.lengths().to_vec();
            (self.predict(x), move |_| Ragged::wrap(NoGrad, lengths))
        }

        fn predict(&self, x: Ragged<Ids>) -> Floats2<Const<1>> {
            Floats2::zeros(x.data().rows(), Const)
        }
    }

    #[test]
    #[should_panic(expected = "sentences: the inner model output 3 rows for 2 sentences")]
    fn an_inner_model_that_does_not_pool_is_refused() {
        sentences(Unpooled).predict(Documents::from_documents([vec![vec![1, 2], vec![3]]]));
    }
}
