//! `book.toml`: the metadata of one edition, in Kitepkana's keys or mdBook's.

use crate::diagnostic::{Diagnostic, line_col};
use crate::language;
use crate::model::{Contributor, ContributorRole, Material};
use serde::{Deserialize, Deserializer, Serialize};

/// Where exercise answers are gathered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum AnswersPlacement {
    #[default]
    Chapter,
    Book,
}

/// The `[book]` table.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct BookConfig {
    pub title: Option<String>,
    pub subtitle: Option<String>,
    #[serde(default)]
    pub authors: Vec<String>,
    #[serde(default)]
    pub contributors: Vec<Contributor>,
    pub language: Option<String>,
    /// Shared by every language edition of one work.
    pub work: Option<String>,
    #[serde(default, deserialize_with = "string_or_number")]
    pub edition: Option<String>,
    pub description: Option<String>,
    #[serde(default)]
    pub keywords: Vec<String>,
    #[serde(default)]
    pub grades: Vec<u8>,
    pub subject: Option<String>,
    pub material: Option<Material>,
    pub license: Option<String>,
    pub publisher: Option<String>,
    pub isbn: Option<String>,
    pub year: Option<i32>,
    pub cover: Option<String>,
    pub chapters: Option<Vec<String>>,
    pub answers: Option<AnswersPlacement>,
    /// A stable short name for files and URLs; derived from the title when absent.
    pub slug: Option<String>,
    /// mdBook: the folder holding the chapters (default `src`).
    pub src: Option<String>,
    /// mdBook: `ltr` or `rtl`.
    pub text_direction: Option<String>,
    /// mdBook: deprecated, accepted and ignored.
    pub multilingual: Option<bool>,
}

/// The whole file. mdBook's own tables are accepted and ignored so mdBook projects build unchanged.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct BookToml {
    #[serde(default)]
    book: BookConfig,
    #[serde(rename = "build")]
    _build: Option<toml::Table>,
    #[serde(rename = "output")]
    _output: Option<toml::Table>,
    #[serde(rename = "preprocessor")]
    _preprocessor: Option<toml::Table>,
    #[serde(rename = "rust")]
    _rust: Option<toml::Table>,
}

fn string_or_number<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Raw {
        S(String),
        I(i64),
        F(f64),
    }
    Ok(Option::<Raw>::deserialize(d)?.map(|r| match r {
        Raw::S(s) => s,
        Raw::I(i) => i.to_string(),
        Raw::F(f) => f.to_string(),
    }))
}

/// SPDX identifiers that school materials commonly use; others get a warning, not an error.
const KNOWN_LICENSES: &[&str] = &[
    "CC-BY-4.0",
    "CC-BY-SA-4.0",
    "CC-BY-NC-4.0",
    "CC-BY-NC-SA-4.0",
    "CC-BY-ND-4.0",
    "CC-BY-NC-ND-4.0",
    "CC0-1.0",
    "CC-BY-3.0",
    "CC-BY-SA-3.0",
    "MIT",
    "Apache-2.0",
    "MIT OR Apache-2.0",
    "GFDL-1.3-or-later",
    "LicenseRef-Proprietary",
];

impl BookConfig {
    /// Parses `book.toml` text. `file` names the file in messages.
    pub fn parse(text: &str, file: &str) -> Result<(BookConfig, Vec<Diagnostic>), Diagnostic> {
        let parsed: BookToml = toml::from_str(text).map_err(|e| {
            let (line, col) = e.span().map(|s| line_col(text, s.start)).unwrap_or((0, 0));
            let msg = e.message().trim().to_string();
            let msg = if let Some(rest) = msg.strip_prefix("unknown field `") {
                let key = rest.split('`').next().unwrap_or(rest);
                let known = rest
                    .split_once("expected ")
                    .map(|(_, k)| k.replace('`', "'"))
                    .unwrap_or_default();
                format!("unknown key '{key}' (check the spelling; expected {known})")
            } else {
                msg
            };
            Diagnostic::error(file, line, msg).at_column(col)
        })?;
        let config = parsed.book;
        let diags = config.validate(file);
        Ok((config, diags))
    }

    fn validate(&self, file: &str) -> Vec<Diagnostic> {
        let mut out = Vec::new();
        if self.title.as_deref().is_none_or(|t| t.trim().is_empty()) {
            out.push(Diagnostic::warning(
                file,
                0,
                "[book] has no title; the folder name is used (add title = \"...\")",
            ));
        }
        match &self.language {
            None => out.push(Diagnostic::warning(
                file,
                0,
                "[book] has no language; assuming \"en\" (add language = \"ky\", \"ru\", ...)",
            )),
            Some(l) if !language::is_well_formed(l) => out.push(Diagnostic::error(
                file,
                0,
                format!(
                    "language '{l}' is not a BCP 47 tag (write e.g. \"ky\", \"ru\", \"uz-Latn\")"
                ),
            )),
            Some(l) if !language::is_known(l) => out.push(Diagnostic::warning(
                file,
                0,
                format!("language '{l}' is not one Kitepkana knows"),
            )),
            _ => {}
        }
        for g in &self.grades {
            if !(1..=12).contains(g) {
                out.push(Diagnostic::error(
                    file,
                    0,
                    format!("grade {g} is out of range (school grades are 1 to 12)"),
                ));
            }
        }
        if let Some(l) = &self.license
            && !KNOWN_LICENSES.contains(&l.as_str())
        {
            out.push(Diagnostic::warning(
                file,
                0,
                format!("license '{l}' is not a common SPDX identifier (e.g. \"CC-BY-SA-4.0\")"),
            ));
        }
        if let Some(isbn) = &self.isbn
            && !isbn_is_valid(isbn)
        {
            out.push(Diagnostic::error(
                file,
                0,
                format!("isbn '{isbn}' has a wrong check digit or length"),
            ));
        }
        if let Some(y) = self.year
            && !(1900..=2200).contains(&y)
        {
            out.push(Diagnostic::error(
                file,
                0,
                format!("year {y} is not plausible"),
            ));
        }
        if let Some(d) = &self.text_direction
            && d != "ltr"
            && d != "rtl"
        {
            out.push(Diagnostic::error(
                file,
                0,
                format!("text-direction '{d}' must be \"ltr\" or \"rtl\""),
            ));
        }
        for c in &self.contributors {
            if c.name.trim().is_empty() {
                out.push(Diagnostic::error(
                    file,
                    0,
                    "a contributor has an empty name",
                ));
            }
        }
        out
    }

    pub fn language(&self) -> String {
        language::canonical(self.language.as_deref().unwrap_or("en"))
    }

    pub fn material(&self) -> Material {
        self.material.unwrap_or_default()
    }

    /// Authors first, then the other contributors, each with a role.
    pub fn all_contributors(&self) -> Vec<Contributor> {
        let mut v: Vec<Contributor> = self
            .authors
            .iter()
            .map(|a| Contributor {
                name: a.clone(),
                role: ContributorRole::Author,
            })
            .collect();
        v.extend(self.contributors.iter().cloned());
        v
    }
}

/// ISBN-10 or ISBN-13 with hyphens or spaces.
pub fn isbn_is_valid(isbn: &str) -> bool {
    let chars: Vec<char> = isbn.chars().filter(|c| !matches!(c, '-' | ' ')).collect();
    match chars.len() {
        13 => {
            let Some(digits) = chars
                .iter()
                .map(|c| c.to_digit(10))
                .collect::<Option<Vec<u32>>>()
            else {
                return false;
            };
            digits
                .iter()
                .enumerate()
                .map(|(i, d)| if i % 2 == 0 { *d } else { d * 3 })
                .sum::<u32>()
                % 10
                == 0
        }
        10 => {
            let mut sum = 0;
            for (i, c) in chars.iter().enumerate() {
                let v = match (i, c) {
                    (9, 'X' | 'x') => 10,
                    _ => match c.to_digit(10) {
                        Some(d) => d,
                        None => return false,
                    },
                };
                sum += v * (10 - i as u32);
            }
            sum % 11 == 0
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_full_metadata() {
        let text = r#"
[book]
title = "Бөлчөктөр"
authors = ["Айгүл Асанова"]
language = "ky"
work = "fractions-5"
edition = 2
grades = [5]
material = "textbook"
license = "CC-BY-SA-4.0"
isbn = "978-3-16-148410-0"

[[book.contributors]]
name = "Бакыт"
role = "translator"
"#;
        let (c, diags) = BookConfig::parse(text, "book.toml").unwrap();
        assert!(diags.is_empty(), "{diags:?}");
        assert_eq!(c.edition.as_deref(), Some("2"));
        assert_eq!(c.all_contributors().len(), 2);
        assert_eq!(c.all_contributors()[1].role, ContributorRole::Translator);
    }

    #[test]
    fn unknown_key_names_key_and_line() {
        let text = "[book]\ntitle = \"x\"\ntitel = \"y\"\n";
        let err = BookConfig::parse(text, "books/a/book.toml").unwrap_err();
        let s = err.to_string();
        assert!(
            s.starts_with("books/a/book.toml:3:1: error: unknown key 'titel'"),
            "{s}"
        );
    }

    #[test]
    fn unknown_table_is_an_error_but_mdbook_tables_are_fine() {
        let ok = "[book]\ntitle = \"x\"\nlanguage = \"en\"\n[output.html]\nmathjax-support = true\n[preprocessor.links]\n";
        assert!(BookConfig::parse(ok, "book.toml").is_ok());
        let bad = "[book]\ntitle = \"x\"\n[outptu]\n";
        let e = BookConfig::parse(bad, "book.toml").unwrap_err().to_string();
        assert!(e.contains("unknown key 'outptu'"), "{e}");
    }

    #[test]
    fn bad_values_are_reported() {
        let text = "[book]\ntitle = \"x\"\nlanguage = \"kyrgyz\"\ngrades = [14]\nisbn = \"978-3-16-148410-1\"\n";
        let (_, diags) = BookConfig::parse(text, "book.toml").unwrap();
        let all: Vec<String> = diags.iter().map(|d| d.to_string()).collect();
        assert!(
            all.iter().any(|d| d.contains("language 'kyrgyz'")),
            "{all:?}"
        );
        assert!(all.iter().any(|d| d.contains("grade 14")), "{all:?}");
        assert!(all.iter().any(|d| d.contains("isbn")), "{all:?}");
        let wrong_type = "[book]\ntitle = \"x\"\nmaterial = \"novel\"\n";
        let e = BookConfig::parse(wrong_type, "book.toml")
            .unwrap_err()
            .to_string();
        assert!(e.contains("book.toml:3") && e.contains("novel"), "{e}");
    }
}
