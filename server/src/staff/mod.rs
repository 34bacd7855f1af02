//! The staff pages, one module each. They import from `web`, `accounts` and `library`, never from
//! one another; who may open each is decided by `accounts::policy`.

pub mod audit;
pub mod books;
pub mod collections;
pub mod drafts;
pub mod editor;
pub mod home;
pub mod invite;
pub mod join;
pub mod password;
pub mod people;
pub mod sign_in;
pub mod tokens;
