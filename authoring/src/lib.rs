//! The author's side of Kitepkana: the build pipeline and the commands `new`, `check` and `build`.

pub mod check;
pub mod import;
pub mod new;
pub mod pipeline;

pub use pipeline::{BuildError, BuildOptions, BuildReport, Formats, build};
