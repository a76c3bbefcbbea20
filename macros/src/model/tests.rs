//! The macro on random input: whatever tokens it is given, it expands or gives a spanned
//! error, and never panics.

use std::str::FromStr;

use proc_macro2::TokenStream;

use super::{expand_type, expand_value};

/// Layers and combinators.
const LAYERS: &[&str] = &[
    "embed",
    "hash_embed",
    "bilstm",
    "lstm",
    "attention",
    "reduce_max",
    "linear",
    "relu",
    "maxout",
    "softmax",
    "layer_norm",
    "dropout",
];
const COMBINATORS: &[&str] = &[
    "chain",
    "concat",
    "add",
    "clone",
    "residual",
    "with_array",
    "sentences",
];

/// Argument names and values, right and wrong.
const ARGS: &[&str] = &[
    "width", "rows", "hidden", "depth", "rate", "seed", "classes", "input", "pieces", "widht",
];
const VALUES: &[&str] = &[
    "0",
    "1",
    "3",
    "64",
    "-1",
    "0.5",
    "1.5",
    "-0.1",
    "18446744073709551615",
    "\"64\"",
    "n",
    "WIDTH",
    "{ 8 }",
    "MyLayer",
    "true",
];

/// Operators between layers, and (last) wrong ones.
const OPERATORS: &[&str] = &[">>", ">>", ">>", "|", "+", "** 2", "** n", "** 0", "*", "-"];

/// Tokens to throw in anywhere.
const NOISE: &[&str] = &[
    ">>",
    "|",
    "+",
    "**",
    "=",
    ",",
    ";",
    ".",
    "(",
    ")",
    "[",
    "]",
    "my_layer",
    "MyLayer::new(3)",
    "3",
    "\"relu\"",
    "'c'",
    "340282366920938463463374607431768211456",
];

/// xorshift64*: the same cases on every run.
struct Cases(u64);

impl Cases {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 33) as usize % n
    }

    fn pick(&mut self, words: &[&'static str]) -> &'static str {
        words[self.below(words.len())]
    }

    /// A network of layers and operators, combinators `depth` levels deep at most.
    fn network(&mut self, depth: usize) -> String {
        let mut text = self.term(depth);
        for _ in 0..self.below(4) {
            // One operator in ten is wrong.
            let op = match self.below(10) {
                0 => self.pick(&OPERATORS[7..]),
                _ => self.pick(&OPERATORS[..7]),
            };
            text = format!("{text} {op} {}", self.term(depth));
        }
        text
    }

    fn term(&mut self, depth: usize) -> String {
        match self.below(20) {
            0..=7 => self.pick(LAYERS).to_string(),
            8..=14 => {
                let args: Vec<String> = (0..self.below(3))
                    .map(|_| format!("{} = {}", self.pick(ARGS), self.pick(VALUES)))
                    .collect();
                format!("{}({})", self.pick(LAYERS), args.join(", "))
            }
            15..=16 if depth > 0 => {
                let inner: Vec<String> = (0..1 + self.below(2))
                    .map(|_| self.network(depth - 1))
                    .collect();
                format!("{}({})", self.pick(COMBINATORS), inner.join(", "))
            }
            17..=18 if depth > 0 => format!("({})", self.network(depth - 1)),
            _ => self.pick(NOISE).to_string(),
        }
    }

    /// A network, every fourth one with a token thrown in or taken out.
    fn input(&mut self) -> String {
        let text = self.network(3);
        let mut words: Vec<&str> = text.split(' ').collect();
        match self.below(8) {
            0 => words.insert(self.below(words.len() + 1), self.pick(NOISE)),
            1 if words.len() > 1 => drop(words.remove(self.below(words.len()))),
            _ => {}
        }
        words.join(" ")
    }
}

/// What the macro wrote is an error, or Rust of the kind asked for.
fn well_formed(out: &TokenStream, ty: bool) -> bool {
    let text = out.to_string();
    text.contains("compile_error")
        || match ty {
            false => syn::parse2::<syn::Expr>(out.clone()).is_ok(),
            true => syn::parse2::<syn::Type>(out.clone()).is_ok(),
        }
}

#[test]
fn random_input_expands_or_gives_an_error_and_never_panics() {
    let mut cases = Cases(0x5eed_1234_abcd_ef01);
    let (mut expanded, mut refused) = (0, 0);
    for _ in 0..20_000 {
        let text = cases.input();
        let Ok(input) = TokenStream::from_str(&text) else {
            continue; // a parenthesis left open: no token stream rustc would hand over
        };
        for ty in [false, true] {
            let expand = if ty { expand_type } else { expand_value };
            let out = std::panic::catch_unwind(|| expand(input.clone()))
                .unwrap_or_else(|_| panic!("the macro panicked on `{text}`"));
            assert!(well_formed(&out, ty), "`{text}` expanded to `{out}`");
            if out.to_string().contains("compile_error") {
                refused += 1;
            } else {
                expanded += 1;
            }
        }
    }
    // Both outcomes are exercised.
    assert!(
        expanded > 200 && refused > 2000,
        "{expanded} expanded, {refused} refused"
    );
}
