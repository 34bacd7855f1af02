//! The `kitep` subcommands that are more than a call into a library crate.

pub mod export;
pub mod preview;
pub mod publish;
pub mod search;
pub mod sync;
