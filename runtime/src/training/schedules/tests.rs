//! The schedules' values at chosen steps against hand computations of Thinc's formulas
//! (`thinc/schedules.py`; Thinc's own functions, at explosion/thinc 20eec35, give the same
//! values but where a comment says otherwise), their text form, and the errors of settings out
//! of range.

use super::*;

/// Asserts that `schedule` gives each `(step, expected)` value, within `f32`'s rounding.
fn assert_values(schedule: &str, values: &[(usize, f64)]) {
    let schedule: Schedule = schedule.parse().expect("a valid schedule");
    for &(step, expected) in values {
        let found = schedule.value(step).expect("a valid schedule");
        let close = (f64::from(found) - expected).abs() <= 1e-6 * expected.abs();
        assert!(
            close,
            "{schedule} at step {step}: found {found}, expected {expected}"
        );
    }
}

#[test]
fn constant_is_its_rate_at_every_step() {
    assert_values("constant(rate = 0.001)", &[(0, 0.001), (1_000_000, 0.001)]);
}

/// `_warmup_linear_schedule`: `step / warmup_steps * initial_rate` before the warm-up's end,
/// then `max(0, (total_steps - step) / (total_steps - warmup_steps)) * initial_rate`.
#[test]
fn warmup_linear_rises_then_falls_to_zero() {
    let schedule = "warmup_linear(initial_rate = 0.001, warmup_steps = 250, total_steps = 20000)";
    assert_values(
        schedule,
        &[
            (0, 0.0),                 // 0 / 250 * 0.001
            (125, 0.0005),            // 125 / 250 * 0.001
            (250, 0.001),             // 19750 / 19750 * 0.001
            (10125, 0.0005),          // 9875 / 19750 * 0.001
            (19999, 0.001 / 19750.0), // 1 / 19750 * 0.001
            (20000, 0.0),             // max(0, 0 / 19750)
            (30000, 0.0),             // max(0, -10000 / 19750)
        ],
    );
    // No warm-up: the fall starts at step 0, from 20000 / 20000 * 0.001.
    let schedule = "warmup_linear(initial_rate = 0.001, warmup_steps = 0, total_steps = 20000)";
    assert_values(schedule, &[(0, 0.001), (10000, 0.0005)]);
}

/// `_decaying_schedule`: `base_rate * (1.0 / (1.0 + decay * (step + t)))`. (Thinc's docstring
/// gives `0.00999` for step 1 of `decaying(0.001, 1e-4)`: a slip for `0.0009999`.)
#[test]
fn decaying_falls_as_one_over_the_step() {
    let schedule = "decaying(base_rate = 0.001, decay = 1e-4)";
    assert_values(
        schedule,
        &[
            (0, 0.001),          // 0.001 / (1 + 0)
            (1, 0.001 / 1.0001), // 0.001 / (1 + 1e-4 * 1)
            (10000, 0.0005),     // 0.001 / (1 + 1e-4 * 10000)
        ],
    );
    // t shifts the step: step 0 with t = 10000 is step 10000.
    let schedule = "decaying(base_rate = 0.001, decay = 1e-4, t = 10000)";
    assert_values(schedule, &[(0, 0.0005)]);
}

/// `_slanted_triangular_schedule` with `max_rate = 0.01`, `num_steps = 1000` and Thinc's
/// defaults `cut_frac = 0.1`, `ratio = 32`: `cut = int(1000 * 0.1) = 100`, `s = step + 1`,
/// `p = s / 100` while `s < 100`, else `p = 1 - (s - 100) / (100 * (1 / 0.1 - 1)) =
/// 1 - (s - 100) / 900`; the value is `0.01 * (1 + p * 31) / 32`.
#[test]
fn slanted_triangular_rises_fast_and_falls_slowly() {
    assert_values(
        "slanted_triangular(max_rate = 0.01, num_steps = 1000)",
        &[
            (0, 0.000409375),  // p = 1 / 100: 0.01 * 1.31 / 32
            (49, 0.00515625),  // p = 50 / 100: 0.01 * 16.5 / 32
            (99, 0.01),        // p = 1 - 0 / 900
            (549, 0.00515625), // p = 1 - 450 / 900
            (999, 0.0003125),  // p = 1 - 900 / 900 = 0: 0.01 / 32
            // Thinc: p = 1 - 1900 / 900 = -1.11, a value of 0.01 * (1 - 34.4) / 32 = -0.0105;
            // here p stays at 0.
            (1999, 0.0003125),
        ],
    );
    // t shifts the step: step 0 with t = 99 is the top.
    let schedule = "slanted_triangular(max_rate = 0.01, num_steps = 1000, t = 99)";
    assert_values(schedule, &[(0, 0.01)]);
}

/// `_compounding_schedule`: `start * compound ** (step + t)`, clipped at `stop` (from above
/// when `start < stop`, from below when `start > stop`).
#[test]
fn compounding_moves_towards_stop_and_keeps_it() {
    assert_values(
        "compounding(start = 1, stop = 32, compound = 1.5)",
        &[
            (0, 1.0),
            (1, 1.5),
            (8, 25.62890625), // 1.5^8 = 6561 / 256
            (9, 32.0),        // min(1.5^9 = 38.4, 32)
        ],
    );
    assert_values(
        "compounding(start = 32, stop = 4, compound = 0.5)",
        &[(1, 16.0), (3, 4.0), (10, 4.0)], // max(32 * 0.5^10 = 0.03125, 4)
    );
    assert_values(
        "compounding(start = 1, stop = 32, compound = 2, t = 3)",
        &[(0, 8.0)], // 2^(0 + 3)
    );
}

#[test]
fn the_text_form_reads_back_to_the_same_schedule() {
    let schedules = [
        Constant { rate: 0.001 },
        WarmupLinear {
            initial_rate: 0.001,
            warmup_steps: 250,
            total_steps: 20000,
        },
        Decaying {
            base_rate: 0.1,
            decay: 1e-4,
            t: 3.5,
        },
        SlantedTriangular {
            max_rate: 0.01,
            num_steps: 1000,
            cut_frac: 0.3,
            ratio: 8.0,
            t: 10.0,
        },
        Compounding {
            start: 32.0,
            stop: 4.0,
            compound: 0.999,
            t: 0.0,
        },
    ];
    for schedule in schedules {
        let text = schedule.to_string();
        assert_eq!(text.parse::<Schedule>().unwrap(), schedule, "{text}");
    }
    assert_eq!(
        Constant { rate: 0.001 }.to_string(),
        "constant(rate = 0.001)"
    );
    // Keys in any order, spaces anywhere, steps written as floats that are whole numbers.
    let text = " warmup_linear ( total_steps=2e4,initial_rate = 1e-3 , warmup_steps = 2.5e2 ) ";
    assert_eq!(text.parse::<Schedule>().unwrap(), schedules[1]);
}

#[test]
fn bad_text_and_settings_out_of_range_are_errors_naming_the_schedule_and_key() {
    let form = "a schedule must be written name(key = number, ...), such as \
                warmup_linear(initial_rate = 0.001, warmup_steps = 250, total_steps = 20000), \
                found";
    let cases = [
        ("constant rate = 1", format!("{form} `constant rate = 1`")),
        ("constant(rate = 1", format!("{form} `constant(rate = 1`")),
        ("constant(rate 1)", format!("{form} `constant(rate 1)`")),
        (
            "constant(rate = 1,)",
            format!("{form} `constant(rate = 1,)`"),
        ),
        (
            "warmup(rate = 1)",
            "a schedule's name must be one of constant, warmup_linear, decaying, \
             slanted_triangular, compounding, found `warmup`"
                .into(),
        ),
        (
            "constant(rate = 1, rate = 2)",
            "constant's rate must be given once, found it twice".into(),
        ),
        (
            "warmup_linear(initial_rate = 0.001, warmup_steps = 250)",
            "warmup_linear's total_steps must be given, found nothing".into(),
        ),
        (
            "warmup_linear(initial_rate = abc, warmup_steps = 250, total_steps = 9)",
            "warmup_linear's initial_rate must be a number, found `abc`".into(),
        ),
        (
            "warmup_linear(initial_rate = 0.1, warmup_steps = 2.5, total_steps = 9)",
            "warmup_linear's warmup_steps must be a whole number of steps, at least 0, found 2.5"
                .into(),
        ),
        (
            "warmup_linear(initial_rate = 0.1, warmup_steps = -5, total_steps = 9)",
            "warmup_linear's warmup_steps must be a whole number of steps, at least 0, found -5"
                .into(),
        ),
        (
            "warmup_linear(initial_rate = 0.1, warmup_steps = 250, total_steps = 250)",
            "warmup_linear's total_steps must be above warmup_steps (250), found 250".into(),
        ),
        (
            "constant(rate = NaN)",
            "constant's rate must be finite and above 0, found NaN".into(),
        ),
        (
            "constant(rate = 0)",
            "constant's rate must be finite and above 0, found 0".into(),
        ),
        (
            "decaying(base_rate = 0.001, decay = -1)",
            "decaying's decay must be finite and at least 0, found -1".into(),
        ),
        (
            "decaying(base_rate = 0.001, decay = 0, t = inf)",
            "decaying's t must be finite and at least 0, found inf".into(),
        ),
        (
            "slanted_triangular(max_rate = 0.01, num_steps = 9)",
            "slanted_triangular's num_steps must be at least 1 / cut_frac (10), for a rise of \
             a step, found 9"
                .into(),
        ),
        (
            "slanted_triangular(max_rate = 0.01, num_steps = 1000, cut_frac = 1)",
            "slanted_triangular's cut_frac must be in (0, 1), found 1".into(),
        ),
        (
            "slanted_triangular(max_rate = 0.01, num_steps = 1000, ratio = 0.5)",
            "slanted_triangular's ratio must be finite and at least 1, found 0.5".into(),
        ),
        (
            "compounding(start = 1, stop = 32, compound = 0.9)",
            "compounding's compound must be finite and at least 1 when start <= stop, found 0.9"
                .into(),
        ),
        (
            "compounding(start = 32, stop = 1, compound = 1.1)",
            "compounding's compound must be in (0, 1] when start > stop, found 1.1".into(),
        ),
    ];
    for (text, message) in cases {
        let error = text.parse::<Schedule>().unwrap_err();
        assert!(
            matches!(error, Error::OutOfRange { .. }),
            "{text}: {error:?}"
        );
        assert_eq!(error.to_string(), message, "{text}");
    }
}

/// The fields are public: a schedule built out of range is refused by `value` too.
#[test]
fn value_refuses_settings_out_of_range() {
    let error = Constant { rate: -0.1 }.value(0).unwrap_err();
    assert_eq!(
        error.to_string(),
        "constant's rate must be finite and above 0, found -0.1"
    );
}
