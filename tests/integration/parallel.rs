//! `predict_parallel` gives what `predict` gives, on any number of threads.

use weft::{Dim, Floats2, Ids, Model, Ragged, Rng, model};

/// `count` sequences of 0 to 11 ids below 50, with the empty ones among them.
fn sequences(count: usize, seed: u64) -> Ragged<Ids> {
    let mut rng = Rng::new(seed);
    let sequences: Vec<Vec<u32>> = (0..count)
        .map(|_| (0..rng.below(12)).map(|_| rng.below(50) as u32).collect())
        .collect();
    Ragged::from_sequences(&sequences)
}

fn assert_close<W: Dim>(a: &Floats2<W>, b: &Floats2<W>) {
    assert_eq!(a.view().dim(), b.view().dim());
    for (x, y) in a.view().iter().zip(b.view().iter()) {
        assert!((x - y).abs() <= 1e-6, "{x} against {y}");
    }
}

/// Runs `f` on a pool of `threads` threads.
fn on_threads<R: Send>(threads: usize, f: impl FnOnce() -> R + Send) -> R {
    let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build();
    pool.expect("a pool").install(f)
}

#[test]
fn a_text_classifier_predicts_alike_in_parts() {
    let x = sequences(40, 1);
    let labels: Vec<usize> = (0..40).map(|i| i % 3).collect();
    let model = model!(embed(width = 8) >> bilstm(hidden = 4) >> attention >> softmax)
        .initialize(&x, &labels)
        .unwrap();
    let whole = model.predict(x.clone());
    for threads in [1, 2, 3] {
        let parts = on_threads(threads, || model.predict_parallel(x.clone()));
        assert_close(&parts, &whole);
    }
    let empty = on_threads(2, || {
        model.predict_parallel(Ragged::from_sequences::<[u32; 0]>([]))
    });
    assert_eq!(empty.rows(), 0);
}

#[test]
fn a_tagger_predicts_alike_in_parts() {
    let x = sequences(25, 2);
    let tags: Vec<Vec<usize>> = x
        .ranges()
        .map(|range| {
            x.data().0[range]
                .iter()
                .map(|&id| id as usize % 5)
                .collect()
        })
        .collect();
    let model = model!(embed(width = 8) >> bilstm(hidden = 4) >> softmax)
        .initialize(&x, &tags)
        .unwrap();
    let whole = model.predict(x.clone());
    let parts = on_threads(2, || model.predict_parallel(x.clone()));
    assert_eq!(parts.lengths(), whole.lengths());
    assert_close(parts.data(), whole.data());
}
