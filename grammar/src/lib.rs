//! The grammar of [weft](https://docs.rs/weft)'s networks, shared by the `model!` macro
//! (compile time) and the run time (a network written in a config file): parse, check, and a
//! typed description of the network.
//!
//! ```text
//! front end          the grammar                                       front end
//! Rust tokens  ─┐                                                    ┌─ code (model!)
//!               ├─ Syntax ─ parse::network ─ Node ─ check ─ Checked ─┤
//! text (text) ──┘                                                    └─ values (run time)
//! ```
//!
//! - [`catalog`]: the one table of built-in layers (name, arguments with kinds and defaults,
//!   what each reads and outputs, its width rule, the code that builds it) and the combinators.
//! - [`Syntax`] is what a front end reads; [`network`] gives it meaning ([`Node`]): which names
//!   are layers, which are combinators, which expressions are the user's.
//! - [`check`] follows the data from layer to layer ([`Flow`]), checks every layer against
//!   what comes before it, works out every width ([`Width`]) and resolves every argument:
//!   the result is a [`Net`] of [`Built`] layers and the [`Bindings`] it needs.
//! - [`text`] is the run-time front end; the macro's is in `weft-macros`.
//!
//! An [`Error`] carries the front end's span and the same message whichever front end read
//! the network. This crate depends on nothing.

#![forbid(unsafe_code)]

mod args;
mod ast;
pub mod catalog;
mod check;
mod error;
mod flow;
mod message;
mod net;
mod parse;
pub mod text;
mod width;

pub use ast::{Arg, CallArg, ExprId, Layer, Node, Syntax, User, Value, ValueKind};
pub use check::check;
pub use error::Error;
pub use flow::{Data, Flow};
pub use message::{Piece, missing_operand, unknown_layer};
pub use net::{ArgValue, Bindings, Built, Checked, Count, Eager, FromData, Net, UserOutput};
pub use parse::network;
pub use width::{Sym, Width};
