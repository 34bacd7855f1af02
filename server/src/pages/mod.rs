//! The public pages, one module each. They import from `web` and `library`, never from one another.

pub mod about;
pub mod book;
pub mod books;
pub mod collections;
pub mod home;
pub mod reader;
pub mod search;
pub mod site;
