//! The way from a draft to the readers, with no HTTP: uploads unpacked safely, revisions, and the
//! build jobs queued in the catalog.

pub mod curation;
pub mod drafts;
pub mod edit;
pub mod jobs;
pub mod review;
pub mod upload;
