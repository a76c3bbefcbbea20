//! Compile-fail tests: what a user sees when a network or a derived layer is wrong, or a value
//! written by hand (`hand_*`) is not what a trait of weft asks for. The expected
//! messages are the `.stderr` files beside each case in `tests/ui/`; after a deliberate change,
//! regenerate them with `TRYBUILD=overwrite cargo test --test integration ui`.

#[test]
fn ui() {
    let cases = trybuild::TestCases::new();
    cases.compile_fail("tests/ui/model_*.rs");
    cases.compile_fail("tests/ui/derive_*.rs");
    cases.compile_fail("tests/ui/hand_*.rs");
    cases.pass("tests/ui/pass_derive.rs");
}
