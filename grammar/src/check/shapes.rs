//! The checks of the inputs of other shapes than one text: documents of sentences
//! (`sentences`) and pairs of texts (`both`, `attention_by`'s queries).

use super::{Checker, Outcome};
use crate::ast::Node;
use crate::error::Error;
use crate::flow::{Data, Flow};
use crate::net::Net;

impl Checker {
    /// `sentences(a)`: the network reads documents, and `a` reads each of their sentences, as a
    /// network reads its input, and pools it to one vector; the layers after `sentences` read a
    /// sequence of those vectors per document.
    pub(super) fn sentences<S: Copy>(&mut self, node: Node<S>, span: S, input: Flow) -> Outcome<S> {
        let refuse = |message: String| Err(Error::new(span, message));
        if self.in_sentences {
            return refuse(
                "`sentences` inside `sentences`: documents are sentences of tokens, one level \
                 deep"
                    .into(),
            );
        }
        if !matches!(input.data, Data::Start | Data::Unknown) {
            return refuse(format!(
                "`sentences` reads documents, so it comes first in a network; but {}",
                input.says()
            ));
        }
        self.in_sentences = true;
        let result = self.check(node, Flow::start());
        self.in_sentences = false;
        let (net, out) = result?;
        if !matches!(out.data, Data::Rows | Data::Unknown) {
            return refuse(format!(
                "`sentences` hands on one vector per sentence, but {}: end the sentence's \
                 network with a pooling layer, such as `attention`",
                out.says()
            ));
        }
        let out = Flow {
            data: Data::Tokens,
            width: out.width,
            source: "sentences".into(),
            token_by_token: false,
            // A layer of the user's inside reads sentences: its kind is not what flows here.
            after: None,
            paired: false,
        };
        Ok((Net::Sentences(Box::new(net)), out))
    }

    /// `both(node)`: `node` on each side of pairs, which come in (or start the network).
    pub(super) fn both<S: Copy>(&mut self, node: Node<S>, span: S, input: Flow) -> Outcome<S> {
        if !input.paired && !matches!(input.data, Data::Start | Data::Unknown) {
            return Err(Error::new(
                span,
                format!(
                    "`both` runs a network on both sides of pairs, but {}",
                    input.says()
                ),
            ));
        }
        let side = Flow {
            paired: false,
            ..input
        };
        let (net, out) = self.check(node, side)?;
        let out = Flow {
            paired: true,
            ..out
        };
        Ok((Net::Both(Box::new(net)), out))
    }

    /// `attention_by(query)`: each sequence pooled by attention against the vector `query`
    /// gives it, which must be the tokens' width.
    pub(super) fn attention_by<S: Copy>(
        &mut self,
        node: Node<S>,
        span: S,
        input: Flow,
    ) -> Outcome<S> {
        let why = "`attention_by` pools sequences against the query its network gives each";
        if input.paired {
            return Err(Error::new(span, one_side_at_a_time("attention_by", &input)));
        }
        if !matches!(input.data, Data::Tokens | Data::Start | Data::Unknown) {
            return Err(Error::new(span, format!("{why}, but {}", input.says())));
        }
        let (net, out) = self.check(node, input.clone())?;
        let message = if !matches!(out.data, Data::Rows | Data::Unknown) {
            format!("{why}: one vector per sequence, but {}", out.says())
        } else if out.width.differs(&input.width) {
            format!(
                "{why}, of the tokens' width {}, but `{}` outputs {}",
                input.width.describe(),
                out.source,
                out.width.describe()
            )
        } else {
            let flow = Flow {
                data: Data::Rows,
                source: format!("attention_by({})", out.source),
                ..input
            };
            return Ok((Net::AttentionBy(Box::new(net)), flow));
        };
        Err(Error::new(span, message))
    }
}

/// The message for `name`, which works on one side of pairs, given both.
pub(super) fn one_side_at_a_time(name: &str, input: &Flow) -> String {
    format!(
        "`{name}` works on one side of pairs at a time, but {}: `both({name})` runs it on \
         each side",
        input.says()
    )
}
