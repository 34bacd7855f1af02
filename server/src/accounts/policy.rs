//! Who may do what: the one place that decides. Handlers ask `decide` and answer with what it
//! says; nothing else in the portal compares roles.

use catalog::Role;

/// What a staff member can ask to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    /// Upload a book or create a draft of a work of one's organisation.
    UploadDraft,
    /// Read a draft (its pages, EPUB, diagnostics) before it is published.
    ViewDraft,
    /// Change a draft's files in the editor.
    EditDraft,
    /// Send a draft to review.
    SubmitDraft,
    /// Comment on a submitted draft, approve it or ask for changes.
    ReviewDraft,
    /// Publish an approved revision.
    Publish,
    /// Withdraw a published book, or restore it.
    Withdraw,
    /// Create, edit, order and feature collections.
    CurateCollections,
    /// Invite people, set roles and organisations, disable accounts, reset passwords.
    ManageStaff,
    /// Read the audit log.
    ReadAuditLog,
    /// Create and revoke one's own API tokens.
    ManageOwnTokens,
}

impl Action {
    pub const ALL: [Action; 11] = [
        Action::UploadDraft,
        Action::ViewDraft,
        Action::EditDraft,
        Action::SubmitDraft,
        Action::ReviewDraft,
        Action::Publish,
        Action::Withdraw,
        Action::CurateCollections,
        Action::ManageStaff,
        Action::ReadAuditLog,
        Action::ManageOwnTokens,
    ];

    /// The action's name as a token scope.
    pub fn scope(self) -> &'static str {
        match self {
            Action::UploadDraft => "drafts:upload",
            Action::ViewDraft => "drafts:read",
            Action::EditDraft => "drafts:edit",
            Action::SubmitDraft => "drafts:submit",
            Action::ReviewDraft => "drafts:review",
            Action::Publish => "books:publish",
            Action::Withdraw => "books:withdraw",
            Action::CurateCollections => "collections:edit",
            Action::ManageStaff => "staff:manage",
            Action::ReadAuditLog => "audit:read",
            Action::ManageOwnTokens => "tokens:own",
        }
    }

    /// Which roles may ever do it (before the draft's own facts are looked at).
    fn roles(self) -> &'static [Role] {
        match self {
            Action::UploadDraft | Action::EditDraft | Action::SubmitDraft => &[Role::Author],
            Action::ViewDraft => &[Role::Author, Role::Reviewer, Role::Librarian],
            Action::ReviewDraft => &[Role::Reviewer],
            Action::Publish | Action::Withdraw | Action::CurateCollections => &[Role::Librarian],
            Action::ManageStaff | Action::ReadAuditLog => &[Role::Admin],
            Action::ManageOwnTokens => &Role::ALL,
        }
    }
}

/// Who asks.
#[derive(Debug, Clone, Copy)]
pub struct Actor<'a> {
    pub id: &'a str,
    pub roles: &'a [Role],
    pub organisations: &'a [String],
}

pub use catalog::Stage;

/// The draft an action is about, when it is about one.
#[derive(Debug, Clone, Copy)]
pub struct Subject<'a> {
    pub organisation: &'a str,
    /// Everyone who wrote a revision of it (a reviewer among them may not approve it).
    pub authors: &'a [String],
    pub stage: Stage,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Allow,
    /// The person may know the thing exists but not do this (403).
    Forbidden,
    /// The person may not even learn that it exists (404): another organisation's draft.
    Hidden,
}

/// Decides; `subject` is the draft the action is about (`None` for actions on no draft).
pub fn decide(actor: &Actor<'_>, action: Action, subject: Option<&Subject<'_>>) -> Decision {
    let has_role = action.roles().iter().any(|r| actor.roles.contains(r));
    let Some(s) = subject else {
        return if has_role {
            Decision::Allow
        } else {
            Decision::Forbidden
        };
    };
    let own_org = actor.organisations.iter().any(|o| o == s.organisation);
    let wrote_it = s.authors.iter().any(|a| a == actor.id);
    // Who may see the draft at all: its organisation's authors; reviewers once it is in review
    // (or was reviewed); librarians once it is approved.
    let sees = (actor.roles.contains(&Role::Author) && own_org)
        || (actor.roles.contains(&Role::Reviewer) && s.stage != Stage::Draft)
        || (actor.roles.contains(&Role::Librarian)
            && matches!(s.stage, Stage::Approved | Stage::Published));
    if !sees {
        return Decision::Hidden;
    }
    let ok = has_role
        && match action {
            Action::EditDraft | Action::SubmitDraft => {
                own_org && matches!(s.stage, Stage::Draft | Stage::ChangesRequested)
            }
            Action::UploadDraft => own_org,
            Action::ViewDraft => true,
            Action::ReviewDraft => s.stage == Stage::InReview && !wrote_it,
            Action::Publish => s.stage == Stage::Approved,
            Action::Withdraw => s.stage == Stage::Published,
            _ => true,
        };
    if ok {
        Decision::Allow
    } else {
        Decision::Forbidden
    }
}

/// The scopes an API token of someone with `roles` carries: every action the roles allow.
pub fn token_scopes(roles: &[Role]) -> Vec<&'static str> {
    Action::ALL
        .into_iter()
        .filter(|a| a.roles().iter().any(|r| roles.contains(r)))
        .map(Action::scope)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn actor<'a>(id: &'a str, roles: &'a [Role], orgs: &'a [String]) -> Actor<'a> {
        Actor {
            id,
            roles,
            organisations: orgs,
        }
    }

    #[test]
    fn actions_without_a_draft_follow_the_roles() {
        let none: [String; 0] = [];
        // (action, roles that may) — every other role is refused.
        let table: &[(Action, &[Role])] = &[
            (Action::UploadDraft, &[Role::Author]),
            (Action::ReviewDraft, &[Role::Reviewer]),
            (Action::Publish, &[Role::Librarian]),
            (Action::Withdraw, &[Role::Librarian]),
            (Action::CurateCollections, &[Role::Librarian]),
            (Action::ManageStaff, &[Role::Admin]),
            (Action::ReadAuditLog, &[Role::Admin]),
            (Action::ManageOwnTokens, &Role::ALL),
        ];
        for (action, may) in table {
            for role in Role::ALL {
                let roles = [role];
                let got = decide(&actor("x", &roles, &none), *action, None);
                let want = if may.contains(&role) {
                    Decision::Allow
                } else {
                    Decision::Forbidden
                };
                assert_eq!(got, want, "{role:?} {action:?}");
            }
            assert_eq!(
                decide(&actor("x", &[], &none), *action, None),
                Decision::Forbidden
            );
        }
    }

    #[test]
    fn drafts_stay_inside_their_organisation_and_nobody_approves_their_own() {
        let ours = vec!["publisher-a".to_string()];
        let theirs = vec!["publisher-b".to_string()];
        let authors = vec!["aigul".to_string()];
        let draft = |stage| Subject {
            organisation: "publisher-a",
            authors: &authors,
            stage,
        };
        let author = [Role::Author];
        let reviewer = [Role::Reviewer];
        let both = [Role::Author, Role::Reviewer];
        let librarian = [Role::Librarian];
        let d = draft(Stage::Draft);
        assert_eq!(
            decide(&actor("aigul", &author, &ours), Action::EditDraft, Some(&d)),
            Decision::Allow
        );
        // Another organisation's author does not learn the draft exists.
        assert_eq!(
            decide(
                &actor("bolot", &author, &theirs),
                Action::ViewDraft,
                Some(&d)
            ),
            Decision::Hidden
        );
        // Reviewers and librarians do not see work in progress.
        assert_eq!(
            decide(&actor("r", &reviewer, &theirs), Action::ViewDraft, Some(&d)),
            Decision::Hidden
        );
        assert_eq!(
            decide(
                &actor("l", &librarian, &theirs),
                Action::ViewDraft,
                Some(&d)
            ),
            Decision::Hidden
        );
        let r = draft(Stage::InReview);
        assert_eq!(
            decide(
                &actor("r", &reviewer, &theirs),
                Action::ReviewDraft,
                Some(&r)
            ),
            Decision::Allow
        );
        // An author may not approve (or review) their own draft, even holding the reviewer role.
        assert_eq!(
            decide(&actor("aigul", &both, &ours), Action::ReviewDraft, Some(&r)),
            Decision::Forbidden
        );
        assert_eq!(
            decide(
                &actor("aigul", &author, &ours),
                Action::ReviewDraft,
                Some(&r)
            ),
            Decision::Forbidden
        );
        // In review, the author cannot change it; an author cannot publish.
        assert_eq!(
            decide(&actor("aigul", &author, &ours), Action::EditDraft, Some(&r)),
            Decision::Forbidden
        );
        let a = draft(Stage::Approved);
        assert_eq!(
            decide(&actor("aigul", &author, &ours), Action::Publish, Some(&a)),
            Decision::Forbidden
        );
        assert_eq!(
            decide(&actor("l", &librarian, &theirs), Action::Publish, Some(&a)),
            Decision::Allow
        );
        // Publishing needs approval first.
        assert_eq!(
            decide(&actor("l", &librarian, &theirs), Action::Publish, Some(&r)),
            Decision::Hidden
        );
    }

    #[test]
    fn tokens_carry_only_what_the_roles_allow() {
        let s = token_scopes(&[Role::Author]);
        assert!(s.contains(&"drafts:upload"));
        assert!(!s.contains(&"books:publish"));
        assert!(token_scopes(&[]).is_empty());
    }
}
