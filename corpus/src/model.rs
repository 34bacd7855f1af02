//! The library's vocabulary: kinds of material, contributor roles, subjects.

use serde::{Deserialize, Serialize};

/// What kind of book an edition is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum Material {
    #[default]
    Textbook,
    Workbook,
    TeachersGuide,
    MethodologicalGuide,
    Reader,
}

impl Material {
    pub const ALL: [Material; 5] = [
        Material::Textbook,
        Material::Workbook,
        Material::TeachersGuide,
        Material::MethodologicalGuide,
        Material::Reader,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Material::Textbook => "textbook",
            Material::Workbook => "workbook",
            Material::TeachersGuide => "teachers-guide",
            Material::MethodologicalGuide => "methodological-guide",
            Material::Reader => "reader",
        }
    }
}

/// The part a person played in making an edition.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ContributorRole {
    Author,
    Translator,
    Editor,
    Illustrator,
    Reviewer,
}

impl ContributorRole {
    pub fn as_str(self) -> &'static str {
        match self {
            ContributorRole::Author => "author",
            ContributorRole::Translator => "translator",
            ContributorRole::Editor => "editor",
            ContributorRole::Illustrator => "illustrator",
            ContributorRole::Reviewer => "reviewer",
        }
    }

    /// MARC relator code, used by EPUB metadata (`role` refinement).
    pub fn marc_relator(self) -> &'static str {
        match self {
            ContributorRole::Author => "aut",
            ContributorRole::Translator => "trl",
            ContributorRole::Editor => "edt",
            ContributorRole::Illustrator => "ill",
            ContributorRole::Reviewer => "rev",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Contributor {
    pub name: String,
    pub role: ContributorRole,
}
