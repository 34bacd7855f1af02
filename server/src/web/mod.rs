//! What every part of the portal's HTTP side shares: request extraction, answers and error pages,
//! the page layout, the search service, file serving, the interface's languages and the middleware.
//! Pages, the API and the feeds import from here, never from one another.

pub mod bearer;
pub mod extract;
pub mod files;
pub mod i18n;
pub mod lang;
pub mod layout;
pub mod middleware;
pub mod respond;
pub mod search;
pub mod staff;
