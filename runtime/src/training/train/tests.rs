//! The training loop on a tiny classifier: when it evaluates, what it returns, when it
//! stops, what it asks of the optimizer and what it refuses.

use super::*;
use crate::data::{Floats2, Ids};
use crate::io::Network;
use crate::kernels::threads::with_threads;
use crate::model::{Boxed, Params};
use crate::training::testing::Threads;
use crate::training::{
    Adam, Alone, BatchSize, Begin, Exchange, Schedule, Sgd, Tagging, TextClassification,
};

pub(super) type Classifier = Boxed<Ragged<Ids>, Floats2>;

pub(super) fn examples() -> Examples<usize> {
    let ids = vec![vec![1, 2], vec![3], vec![1, 3], vec![2], vec![4, 1]];
    Examples::new(ids, vec![0, 1, 0, 1, 0]).unwrap()
}

pub(super) fn task() -> TextClassification {
    TextClassification::new(["a", "b"])
}

/// A fresh classifier of `examples()` (each of other weights), with embeddings of `width`.
pub(super) fn classifier(width: usize) -> Classifier {
    let data = examples();
    let text = format!("embed(width = {width}) >> reduce_mean >> softmax");
    let network = Network::parse(&text).unwrap();
    network.initialize(&data.inputs(), data.truths()).unwrap()
}

/// Trains a fresh classifier on `examples()`, evaluated on them too.
fn run(settings: &Settings, observer: &mut impl Observer<Classifier>) -> (Classifier, Outcome) {
    let data = examples();
    let mut model = classifier(4);
    let mut adam = Adam::new(0.001);
    let outcome = train(
        &mut model,
        &mut adam,
        &task(),
        &data,
        &data,
        settings,
        observer,
    );
    (model, outcome.unwrap())
}

pub(super) fn settings(epochs: usize, rate: f64, batch_size: usize, eval_every: usize) -> Settings {
    Settings {
        epochs,
        learn_rate: Schedule::Constant { rate },
        batch_size: BatchSize::examples(batch_size),
        eval_every: Some(eval_every),
        ..Settings::default()
    }
}

#[test]
fn evaluations_come_every_so_many_steps_across_epochs() {
    // Three batches an epoch, nine steps: evaluations after steps 2, 4, 6 and 8, and after
    // the last; with evaluations due every 20 steps, only after the last.
    let at = |eval_every| {
        let (_, outcome) = run(&settings(3, 0.001, 2, eval_every), &mut ());
        let at = outcome.evaluations.iter().map(|e| (e.epoch, e.step));
        at.collect::<Vec<_>>()
    };
    assert_eq!(at(2), [(1, 2), (2, 4), (2, 6), (3, 8), (3, 9)]);
    assert_eq!(at(20), [(3, 9)]);
}

/// The weights at each evaluation.
struct Weights(Vec<Vec<u8>>);

impl Observer<Classifier> for Weights {
    fn evaluation(&mut self, _: &Evaluation, model: &Classifier) -> Result<()> {
        self.0.push(model.to_bytes()?);
        Ok(())
    }
}

#[test]
fn the_model_returned_is_the_best_evaluated() {
    let mut weights = Weights(Vec::new());
    let (model, outcome) = run(&settings(6, 0.5, 1, 1), &mut weights);
    let best = outcome.evaluations.iter().rposition(|e| e.best).unwrap();
    // Training went on after its best evaluation, and the model is the best one's.
    assert!(best + 1 < outcome.evaluations.len());
    assert_eq!(model.to_bytes().unwrap(), weights.0[best]);
    let scores = evaluate(&model, &task(), &examples()).unwrap();
    assert_eq!(scores.accuracy, outcome.evaluations[best].score);
}

#[test]
fn with_averages_the_averages_are_evaluated_and_returned() {
    let mut weights = Weights(Vec::new());
    let averaged = Settings {
        averages: true,
        ..settings(3, 0.5, 1, 1)
    };
    let (model, outcome) = run(&averaged, &mut weights);
    let best = outcome.evaluations.iter().rposition(|e| e.best).unwrap();
    assert_eq!(model.to_bytes().unwrap(), weights.0[best]);
    // The same run without averages evaluates other weights.
    let mut raw = Weights(Vec::new());
    run(&settings(3, 0.5, 1, 1), &mut raw);
    assert_ne!(weights.0, raw.0);
}

#[test]
fn patience_stops_training_when_dev_stops_improving() {
    // A learning rate too small to change a prediction: no evaluation beats the first.
    let patient = Settings {
        patience: Some(2),
        eval_every: None,
        ..settings(10, 1e-12, 32, 1)
    };
    let (_, outcome) = run(&patient, &mut ());
    assert_eq!(outcome.evaluations.len(), 3);
    assert!(outcome.stopped_early);
    assert_eq!(outcome.best().unwrap().epoch, 1);
}

#[test]
fn a_scheduled_learning_rate_is_set_at_every_step() {
    /// Adam, recording the learning rates it is set to.
    struct Recorded(Adam, Vec<f32>);
    impl Optimizer for Recorded {
        fn set_learn_rate(&mut self, rate: f32) -> Result<()> {
            self.1.push(rate);
            self.0.set_learn_rate(rate)
        }
        fn grad_clip(&self) -> Option<f32> {
            self.0.grad_clip()
        }
        fn begin_step(&mut self) {
            self.0.begin_step();
        }
        fn update(&mut self, path: &str, param: &mut crate::model::Param, scale: f32) {
            self.0.update(path, param, scale);
        }
    }
    let data = examples();
    let mut model = classifier(4);
    let warm_up = "warmup_linear(initial_rate = 0.4, warmup_steps = 2, total_steps = 6)";
    let scheduled = Settings {
        learn_rate: warm_up.parse().unwrap(),
        ..settings(2, 0.1, 2, 1)
    };
    let mut adam = Recorded(Adam::new(0.001), Vec::new());
    train(
        &mut model,
        &mut adam,
        &task(),
        &data,
        &data,
        &scheduled,
        &mut (),
    )
    .unwrap();
    // Steps 0 to 5: 0.4 * step / 2 up to step 2, then 0.4 * (6 - step) / 4.
    assert_eq!(adam.1, [0.0, 0.2, 0.4, 0.3, 0.2, 0.1]);
}

#[test]
fn settings_out_of_range_are_refused_naming_them() {
    let refused = |settings: Settings| settings.validate().unwrap_err().to_string();
    let epochs = Settings {
        epochs: 0,
        ..Settings::default()
    };
    assert_eq!(refused(epochs), "epochs must be at least 1, found 0");
    let batch = Settings {
        batch_size: BatchSize::words(0),
        ..Settings::default()
    };
    assert_eq!(
        refused(batch),
        "constant's rate must be finite and above 0, found 0"
    );
    let rate = settings(1, f64::NAN, 1, 1);
    assert_eq!(
        refused(rate),
        "constant's rate must be finite and above 0, found NaN"
    );
    assert_eq!(
        refused(settings(1, 0.1, 1, 0)),
        "eval_every must be at least 1, found 0"
    );
    let empty = Examples::<usize>::default();
    let network = Network::parse("embed(width = 4) >> reduce_mean >> softmax").unwrap();
    let mut model: Classifier = network
        .build(&crate::model::DataSizes::given(Some(5), Some(2)))
        .unwrap();
    let mut adam = Adam::new(0.1);
    let err = train(
        &mut model,
        &mut adam,
        &task(),
        &empty,
        &examples(),
        &Settings::default(),
        &mut (),
    );
    assert_eq!(
        err.unwrap_err().to_string(),
        "the training examples: expected at least one, found none"
    );
}

/// Every parameter's values, in walk order.
fn values(model: &impl Params) -> Vec<f32> {
    let mut values = Vec::new();
    model.for_each_param(&mut |_, p| values.extend_from_slice(p.value()));
    values
}

/// Trains a model of `new` on `examples` for `task` from the same weights, once alone and once
/// as each of `processes` threads sharing every batch of `batch_size`; gives the largest
/// difference between a process's weights and those trained alone, and asserts that every
/// process holds the same weights and that only the first told the observer.
fn shared_against_alone<T: Task, M: Model<In = Ragged<Ids>, Out = T::Out>>(
    new: impl Fn() -> M + Sync,
    examples: &Examples<T::Truth>,
    task: &T,
    processes: usize,
    batch_size: usize,
) -> f32
where
    T::Out: Batch,
{
    let start = new().to_bytes().unwrap();
    // One evaluation, after the last step: the weights returned are the last, whichever
    // evaluation a tie of scores between the runs' roundings would call the best.
    let settings = settings(3, 0.05, batch_size, 100);
    let fit = |exchange: &mut dyn Exchange| {
        let mut model = new();
        model.from_bytes(&start).unwrap();
        let mut told = 0;
        let data = Data {
            task,
            train: examples,
            dev: examples,
        };
        let mut observe = |_: &Evaluation| told += 1;
        // Plain SGD: Adam divides each gradient by its own running size, so that a gradient
        // near zero (a unit the batch barely reaches) whose rounding differs between the runs
        // moves its weight by up to the learning rate either way.
        let sgd = &mut Sgd::new(0.5);
        let begin = Begin::Afresh;
        train_data_parallel(
            exchange,
            begin,
            &mut model,
            sgd,
            data,
            &settings,
            &mut observe,
        )
        .unwrap();
        (values(&model), told)
    };
    // Each on a pool of one thread of its own, as a process would be.
    let fit = |exchange: &mut dyn Exchange| with_threads(1, || fit(exchange)).unwrap();
    let (alone, evaluations) = fit(&mut Alone);
    let shared: Vec<_> = std::thread::scope(|scope| {
        let fits: Vec<_> = Threads::new(processes)
            .into_iter()
            .map(|mut exchange| scope.spawn(move || fit(&mut exchange)))
            .collect();
        fits.into_iter().map(|fit| fit.join().unwrap()).collect()
    });
    for (rank, (weights, told)) in shared.iter().enumerate() {
        assert_eq!(weights, &shared[0].0, "process {rank}'s weights");
        assert_eq!(*told, if rank == 0 { evaluations } else { 0 });
    }
    let differences = alone.iter().zip(&shared[0].0).map(|(a, b)| (a - b).abs());
    differences.fold(0.0, f32::max)
}

#[test]
fn processes_sharing_each_batch_train_as_one_process_taking_it_whole() {
    // Batches of 4 of 5 examples: the last batch leaves two of three processes nothing.
    for processes in [2, 3] {
        let network =
            Network::parse("embed(width = 4) >> reduce_mean >> relu(width = 6) >> softmax");
        let data = examples();
        let new = || -> Classifier {
            let network = network.as_ref().unwrap();
            network.initialize(&data.inputs(), data.truths()).unwrap()
        };
        let largest = shared_against_alone(new, &data, &task(), processes, 4);
        assert!(largest < 1e-6, "{processes} processes: {largest}");
    }
    // A tagger's loss is a mean over tokens, which the processes share unevenly.
    let ids = vec![vec![1, 2, 3], vec![3], vec![1, 3], vec![2, 4, 4, 1], vec![]];
    let tags = vec![vec![0, 1, 0], vec![1], vec![0, 0], vec![1, 1, 0, 1], vec![]];
    let tagged = Examples::new(ids, tags).unwrap();
    let network =
        Network::parse("embed(width = 4) >> with_array(relu(width = 5) >> softmax)").unwrap();
    let new = || -> Boxed<Ragged<Ids>, Ragged<Floats2>> {
        network
            .initialize(&tagged.inputs(), tagged.truths())
            .unwrap()
    };
    let largest = shared_against_alone(new, &tagged, &Tagging::new(["a", "b"]), 2, 3);
    assert!(largest < 1e-6, "the tagger: {largest}");
}
