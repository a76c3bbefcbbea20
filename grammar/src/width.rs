//! Widths as the grammar knows them, and their algebra: a BiLSTM doubles its hidden width, a
//! concatenation sums its branches'. A width the grammar cannot compute stays an expression
//! ([`Sym`]) for the front end to write out, and rustc (or the run time) to evaluate.

use crate::ast::ExprId;

/// The width of what flows between two layers.
#[derive(Clone, Debug, PartialEq)]
pub enum Width {
    /// Known to the grammar: an integer, or computed from integers.
    Lit(usize),
    /// A constant expression, evaluated and checked by rustc.
    Const(Sym),
    /// A `usize` known when the network is built (a run-time argument, a size from the data).
    Run(Sym),
    /// Not known here: rustc infers it from the layers around. `Some(layer)` when it is the
    /// output width of that layer of the user's, which a type can name.
    Infer(Option<ExprId>),
}

/// A width expression over values the grammar cannot compute.
#[derive(Clone, Debug, PartialEq)]
pub enum Sym {
    /// An integer.
    Lit(usize),
    /// A constant expression, and its source text.
    Expr(ExprId, String),
    /// A run-time size, evaluated once when the network is built: entry `i` of
    /// [`Bindings::eager`](crate::Bindings::eager).
    Bound(usize),
    /// A size read off the data: entry `i` of [`Bindings::from_data`](crate::Bindings::from_data).
    FromData(usize),
    /// Twice the inner width.
    Twice(Box<Sym>),
    /// The sum of these widths.
    Sum(Vec<Sym>),
    /// The second width once for each token of a window of the first on each side:
    /// `(2n + 1)·w`.
    Window(Box<Sym>, Box<Sym>),
}

impl Width {
    /// Twice this width (a BiLSTM's output, two directions of `hidden`).
    pub fn twice(&self) -> Width {
        match self {
            Width::Lit(n) => Width::Lit(n.saturating_mul(2)),
            Width::Const(e) => Width::Const(Sym::Twice(Box::new(e.clone()))),
            Width::Run(e) => Width::Run(Sym::Twice(Box::new(e.clone()))),
            Width::Infer(_) => Width::Infer(None),
        }
    }

    /// This width once for each token of a window of `n` tokens on each side, `(2n + 1)`
    /// times (a window's vectors side by side): an integer when both are, a run-time width
    /// when either is, inferred when either is.
    pub fn window(&self, n: &Width) -> Width {
        let sym = |width: &Width| match width {
            Width::Lit(n) => Some(Sym::Lit(*n)),
            Width::Const(e) | Width::Run(e) => Some(e.clone()),
            Width::Infer(_) => None,
        };
        match (self, n) {
            (Width::Lit(w), Width::Lit(n)) => {
                Width::Lit(n.saturating_mul(2).saturating_add(1).saturating_mul(*w))
            }
            _ => match (sym(n), sym(self)) {
                (Some(n_sym), Some(w_sym)) => {
                    let window = Sym::Window(Box::new(n_sym), Box::new(w_sym));
                    if matches!((self, n), (Width::Run(_), _) | (_, Width::Run(_))) {
                        Width::Run(window)
                    } else {
                        Width::Const(window)
                    }
                }
                _ => Width::Infer(None),
            },
        }
    }

    /// The sum of `widths` (a concatenation's output): an integer when all are, an expression
    /// when some are not, inferred when one is.
    pub fn sum(widths: &[Width]) -> Width {
        let mut parts = Vec::with_capacity(widths.len());
        let mut run = false;
        for width in widths {
            match width {
                Width::Lit(n) => parts.push(Sym::Lit(*n)),
                Width::Const(e) => parts.push(e.clone()),
                Width::Run(e) => {
                    run = true;
                    parts.push(e.clone());
                }
                Width::Infer(_) => return Width::Infer(None),
            }
        }
        if let Some(total) = parts
            .iter()
            .map(|p| match p {
                Sym::Lit(n) => Some(*n),
                _ => None,
            })
            .sum()
        {
            return Width::Lit(total);
        }
        if run {
            Width::Run(Sym::Sum(parts))
        } else {
            Width::Const(Sym::Sum(parts))
        }
    }

    /// True when both are known to the grammar and differ.
    pub fn differs(&self, other: &Width) -> bool {
        matches!((self, other), (Width::Lit(a), Width::Lit(b)) if a != b)
    }

    /// Whether the grammar knows nothing of it.
    pub fn is_inferred(&self) -> bool {
        matches!(self, Width::Infer(_))
    }

    /// The width in a message: `64`, or what kind of width it is.
    pub fn describe(&self) -> String {
        match self {
            Width::Lit(n) => n.to_string(),
            Width::Const(e) => format!("`{}`", e.text()),
            Width::Run(_) => "a run-time width".into(),
            Width::Infer(_) => "an inferred width".into(),
        }
    }
}

impl Sym {
    /// The expression as source text.
    pub fn text(&self) -> String {
        match self {
            Sym::Lit(n) => n.to_string(),
            Sym::Expr(_, text) => text.clone(),
            Sym::Bound(i) => format!("size {i}"),
            Sym::FromData(i) => format!("size {i} from the data"),
            Sym::Twice(inner) => format!("2 * ({})", inner.text()),
            Sym::Sum(parts) => parts.iter().map(Sym::text).collect::<Vec<_>>().join(" + "),
            Sym::Window(n, width) => format!("(2 * ({}) + 1) * ({})", n.text(), width.text()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sums_are_integers_when_every_part_is_known() {
        assert_eq!(Width::sum(&[Width::Lit(3), Width::Lit(5)]), Width::Lit(8));
        let constant = Width::Const(Sym::Expr(ExprId(0), "W".into()));
        assert_eq!(
            Width::sum(&[Width::Lit(3), constant.clone()]),
            Width::Const(Sym::Sum(vec![
                Sym::Lit(3),
                Sym::Expr(ExprId(0), "W".into())
            ]))
        );
        let run = Width::Run(Sym::Bound(1));
        assert!(matches!(
            Width::sum(&[constant, run.clone()]),
            Width::Run(_)
        ));
        assert_eq!(
            Width::sum(&[Width::Lit(3), Width::Infer(Some(ExprId(2)))]),
            Width::Infer(None)
        );
        assert_eq!(Width::Lit(32).twice(), Width::Lit(64));
        assert_eq!(Width::Lit(64).window(&Width::Lit(1)), Width::Lit(192));
        let window = Width::Const(Sym::Expr(ExprId(1), "N".into()));
        let wide = Width::Lit(8).window(&window);
        assert_eq!(wide.describe(), "`(2 * (N) + 1) * (8)`");
        assert!(matches!(run.window(&Width::Lit(2)), Width::Run(_)));
        assert!(Width::Infer(None).window(&Width::Lit(1)).is_inferred());
        assert!(Width::Lit(3).differs(&Width::Lit(4)));
        assert!(!Width::Lit(3).differs(&Width::Run(Sym::Bound(0))));
    }
}
