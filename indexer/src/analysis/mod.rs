//! Text analysis for search: normalisation, keyboard folding, transliteration and stemmers.

pub mod fold;
pub mod kazakh;
pub mod kyrgyz;
pub mod normalize;
pub mod tajik;
pub mod translit;
pub mod uzbek;
