//! Feeds that other software reads: OPDS catalogs for e-reader apps.

pub mod catalogue;
pub mod marc;
pub mod oai;
pub mod opds;
pub mod sync;
