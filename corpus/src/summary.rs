//! mdBook's `SUMMARY.md`: prefix chapters, parts, nested numbered chapters, drafts, suffix chapters.

use crate::diagnostic::Diagnostic;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SummaryItem {
    /// `# Part title` (the first `# Summary` heading is the file's own title and is skipped).
    Part(String),
    /// A chapter link. `path` is None for a draft chapter (`[Title]()`).
    Link {
        title: String,
        path: Option<String>,
        depth: usize,
        numbered: bool,
        line: usize,
    },
}

/// Parses `SUMMARY.md`. Lines that are not part of the contents produce warnings, never a failure.
pub fn parse(text: &str, file: &str) -> (Vec<SummaryItem>, Vec<Diagnostic>) {
    let mut items = Vec::new();
    let mut diags = Vec::new();
    let mut seen_title = false;
    let mut indent_stack: Vec<usize> = Vec::new();
    let mut in_fence = false;
    for (i, raw) in text.lines().enumerate() {
        let line_no = i + 1;
        let trimmed = raw.trim();
        if trimmed.starts_with("```") || trimmed.starts_with("~~~") {
            in_fence = !in_fence;
            continue;
        }
        if in_fence || trimmed.is_empty() || trimmed.starts_with("<!--") {
            continue;
        }
        if let Some(h) = trimmed.strip_prefix('#') {
            let title = h.trim_start_matches('#').trim().to_string();
            if !seen_title && items.is_empty() {
                seen_title = true;
            } else {
                items.push(SummaryItem::Part(title));
            }
            indent_stack.clear();
            continue;
        }
        if trimmed
            .chars()
            .all(|c| c == '-' || c == '*' || c == '_' || c == ' ')
            && trimmed.len() >= 3
        {
            // A separator; it only affects mdBook's layout.
            continue;
        }
        let indent = raw.len() - raw.trim_start().len();
        let (numbered, rest) = if let Some(r) = trimmed
            .strip_prefix("- ")
            .or_else(|| trimmed.strip_prefix("* "))
        {
            (true, r.trim())
        } else {
            (false, trimmed)
        };
        let Some((title, path)) = parse_link(rest) else {
            diags.push(Diagnostic::warning(
                file,
                line_no,
                format!("ignored line '{trimmed}': expected '- [Title](file.md)'"),
            ));
            continue;
        };
        let depth = if numbered {
            while indent_stack.last().is_some_and(|&top| top > indent) {
                indent_stack.pop();
            }
            if indent_stack.last() != Some(&indent) {
                indent_stack.push(indent);
            }
            indent_stack.len() - 1
        } else {
            indent_stack.clear();
            0
        };
        items.push(SummaryItem::Link {
            title,
            path,
            depth,
            numbered,
            line: line_no,
        });
    }
    (items, diags)
}

/// `[Title](path)`, where the title may contain escaped or balanced brackets.
fn parse_link(s: &str) -> Option<(String, Option<String>)> {
    let s = s.strip_prefix('[')?;
    let mut depth = 0usize;
    let mut title = String::new();
    let mut chars = s.char_indices();
    let mut close = None;
    while let Some((i, c)) = chars.next() {
        match c {
            '\\' => {
                if let Some((_, n)) = chars.next() {
                    title.push(n);
                }
            }
            '[' => {
                depth += 1;
                title.push(c);
            }
            ']' if depth == 0 => {
                close = Some(i);
                break;
            }
            ']' => {
                depth -= 1;
                title.push(c);
            }
            c => title.push(c),
        }
    }
    let rest = &s[close? + 1..];
    let inner = rest.strip_prefix('(')?.trim_end();
    let inner = inner.strip_suffix(')')?;
    let path = inner
        .trim()
        .trim_start_matches('<')
        .trim_end_matches('>')
        .trim();
    let path = if path.is_empty() {
        None
    } else {
        Some(path.split('#').next().unwrap_or(path).to_string())
    };
    Some((title.trim().to_string(), path))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_an_mdbook_summary() {
        let text = "# Summary\n\n[Introduction](README.md)\n\n# Basics\n\n- [Getting started](start.md)\n    - [Install](start/install.md)\n        - [Deep](deep.md)\n    - [Use](start/use.md)\n- [Draft]()\n\n---\n\n[Appendix \\[A\\]](appendix.md)\n";
        let (items, diags) = parse(text, "src/SUMMARY.md");
        assert!(diags.is_empty());
        let depths: Vec<(String, usize, bool)> = items
            .iter()
            .filter_map(|i| match i {
                SummaryItem::Link {
                    title,
                    depth,
                    numbered,
                    ..
                } => Some((title.clone(), *depth, *numbered)),
                _ => None,
            })
            .collect();
        assert_eq!(
            depths,
            vec![
                ("Introduction".into(), 0, false),
                ("Getting started".into(), 0, true),
                ("Install".into(), 1, true),
                ("Deep".into(), 2, true),
                ("Use".into(), 1, true),
                ("Draft".into(), 0, true),
                ("Appendix [A]".into(), 0, false),
            ]
        );
        assert_eq!(items[1], SummaryItem::Part("Basics".into()));
        assert!(matches!(&items[6], SummaryItem::Link { path: None, .. }));
    }

    #[test]
    fn junk_lines_warn() {
        let (_, diags) = parse("# Summary\n- not a link\n", "SUMMARY.md");
        assert_eq!(diags.len(), 1);
        assert!(diags[0].to_string().starts_with("SUMMARY.md:2: warning"));
    }
}
