//! What flows between two layers: the kind of data, its width, and the layer that made it.

use crate::net::UserOutput;
use crate::width::Width;

/// The kind of data between two layers.
#[derive(Copy, Clone, PartialEq, Eq, Debug)]
pub enum Data {
    /// Nothing yet: the network's input, fixed by its first layer.
    Start,
    /// Sequences of token ids (`Ragged<Ids>`).
    Ids,
    /// Sequences of hash keys (`Ragged<Keys>`).
    Keys,
    /// Sequences of vectors (`Ragged<Floats2<W>>`).
    Tokens,
    /// One vector per example (`Floats2<W>`).
    Rows,
    /// The output of a layer of the user's: unknown to the grammar.
    Unknown,
}

/// The data between two layers: its kind, width, and the layer that made it (for messages).
#[derive(Clone, Debug)]
pub struct Flow {
    /// The kind of data.
    pub data: Data,
    /// Its width.
    pub width: Width,
    /// The layer that made it, as written.
    pub source: String,
    /// Inside `with_array`: rows are single tokens' vectors.
    pub token_by_token: bool,
    /// The layer of the user's whose output this is, as far as its kind (when `data` is
    /// `Unknown`) or its width (when `width` is inferred) goes.
    pub after: Option<UserOutput>,
    /// Pairs of such data, one for each side of a pair (the input of a network that starts
    /// with `both`, and what `both` outputs).
    pub paired: bool,
}

impl Flow {
    /// The network's input.
    pub fn start() -> Flow {
        Flow {
            data: Data::Start,
            width: Width::Infer(None),
            source: "the input".into(),
            token_by_token: false,
            after: None,
            paired: false,
        }
    }

    /// What comes here, for a message: "`embed` outputs a vector per token".
    pub fn says(&self) -> String {
        if self.paired {
            let what = match self.data {
                Data::Ids => "token ids",
                Data::Keys => "hash keys",
                Data::Tokens => "a vector per token",
                _ => "one vector",
            };
            return format!("`{}` outputs pairs, {what} on each side", self.source);
        }
        match self.data {
            Data::Start => "the network starts here".into(),
            Data::Ids => format!("`{}` outputs token ids", self.source),
            Data::Keys => format!("`{}` outputs hash keys", self.source),
            Data::Tokens => format!("`{}` outputs a vector per token", self.source),
            Data::Rows if self.token_by_token => {
                "here layers see one token's vector at a time (inside `with_array`)".into()
            }
            Data::Rows => format!("`{}` outputs one vector per example", self.source),
            Data::Unknown => format!("`{}` outputs a type the macro cannot see", self.source),
        }
    }
}
