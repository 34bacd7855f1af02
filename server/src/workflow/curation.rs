//! Collections shaped by librarians. Each change is stored, then the index is brought in line
//! (a book's collections are a search filter) and the snapshot swapped, so readers see it at once.

use crate::library::publish;
use crate::library::state::Shared;
use anyhow::Result;

/// After a change to collections: re-index what changed, then show it.
pub async fn apply(state: &Shared) -> Result<()> {
    let _one_at_a_time = state.publish_lock.lock().await;
    publish::reconcile(state).await?;
    state.refresh().await
}

/// A collection's address: Latin letters, digits and hyphens, 1–64 characters.
pub fn valid_slug(s: &str) -> bool {
    (1..=64).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !s.starts_with('-')
}

#[cfg(test)]
mod tests {
    #[test]
    fn slugs() {
        assert!(super::valid_slug("grade-5-maths"));
        for bad in ["", "Grade5", "a b", "../x", "-x", "бөлчөк"] {
            assert!(!super::valid_slug(bad), "{bad}");
        }
    }
}
