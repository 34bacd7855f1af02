//! mdBook-style `{{#include}}` expansion, with anchors and line ranges, kept inside the book folder.

use crate::diagnostic::Diagnostic;
use crate::source;
use std::path::Path;

/// Includes may nest this deep (a file including itself stops here with an error).
const MAX_DEPTH: usize = 10;

/// Where the lines of an expanded chapter came from, for messages that name the right file and line.
#[derive(Debug, Clone, Default)]
pub struct LineMap {
    /// (first output line, file, first source line), sorted by output line; 1-based.
    segments: Vec<(usize, String, usize)>,
}

impl LineMap {
    /// The file and line that produced output line `line`.
    pub fn origin(&self, line: usize) -> (&str, usize) {
        let idx = self
            .segments
            .partition_point(|(start, _, _)| *start <= line);
        match idx.checked_sub(1).and_then(|i| self.segments.get(i)) {
            Some((start, file, src)) => (file.as_str(), src + (line - start)),
            None => ("", line),
        }
    }

    /// Every file whose lines are in the chapter (the chapter itself and what it includes).
    pub fn files(&self) -> impl Iterator<Item = &str> {
        self.segments.iter().map(|(_, f, _)| f.as_str())
    }
}

/// Expands the include directives of `text`, which is the file `file` (book-relative, `/`-separated).
pub fn expand(
    text: &str,
    file: &str,
    root: &Path,
    diags: &mut Vec<Diagnostic>,
) -> (String, LineMap) {
    let mut out = String::with_capacity(text.len());
    let mut map = LineMap::default();
    expand_into(text, file, root, diags, 0, &mut out, &mut map);
    (out, map)
}

fn expand_into(
    text: &str,
    file: &str,
    root: &Path,
    diags: &mut Vec<Diagnostic>,
    depth: usize,
    out: &mut String,
    map: &mut LineMap,
) {
    let base_dir = file.rsplit_once('/').map(|(d, _)| d).unwrap_or("");
    let mut line = 1usize;
    let mut rest = text;
    let mut segment_open = false;
    let mut continuing = false;
    loop {
        if !segment_open {
            let out_line = out.matches('\n').count() + 1;
            // After an include, the rest of the directive's line shares the included text's last line.
            if continuing && !out.is_empty() && !out.ends_with('\n') {
                map.segments
                    .push((out_line + 1, file.to_string(), line + 1));
            } else {
                map.segments.push((out_line, file.to_string(), line));
            }
            segment_open = true;
            continuing = true;
        }
        let Some(pos) = rest.find("{{#") else {
            out.push_str(rest);
            return;
        };
        let escaped = pos > 0 && rest.as_bytes()[pos - 1] == b'\\';
        let Some(end) = rest[pos..].find("}}").map(|e| pos + e + 2) else {
            out.push_str(rest);
            return;
        };
        let directive = &rest[pos + 3..end - 2];
        let here = line + rest[..pos].matches('\n').count();
        if escaped {
            out.push_str(&rest[..pos - 1]);
            out.push_str(&rest[pos..end]);
        } else {
            out.push_str(&rest[..pos]);
            let mut words = directive.trim().splitn(2, char::is_whitespace);
            let kind = words.next().unwrap_or("");
            let arg = words.next().unwrap_or("").trim();
            match kind {
                "include" | "rustdoc_include" | "playground" | "playpen" => {
                    match load_included(arg, base_dir, root) {
                        Ok((content, inc_file)) if depth < MAX_DEPTH => {
                            let body = if kind == "playground" || kind == "playpen" {
                                format!("```rust\n{}\n```", content.trim_end_matches('\n'))
                            } else {
                                content
                            };
                            let before = map.segments.len();
                            expand_into(&body, &inc_file, root, diags, depth + 1, out, map);
                            if map.segments.len() > before {
                                segment_open = false;
                            }
                        }
                        Ok((_, inc_file)) => diags.push(Diagnostic::error(
                            file,
                            here,
                            format!("includes nest deeper than {MAX_DEPTH} levels at '{inc_file}' (does a file include itself?)"),
                        )),
                        Err(msg) => diags.push(Diagnostic::error(file, here, msg)),
                    }
                }
                // `{{#title}}` sets mdBook's browser title: nothing to show.
                "title" => {}
                _ => {
                    diags.push(Diagnostic::warning(
                        file,
                        here,
                        format!("unknown directive '{{{{#{kind}}}}}' left as text"),
                    ));
                    out.push_str(&rest[pos..end]);
                }
            }
        }
        line = here + rest[pos..end].matches('\n').count();
        rest = &rest[end..];
    }
}

/// Reads the file an include names and cuts out the requested lines or anchor.
fn load_included(arg: &str, base_dir: &str, root: &Path) -> Result<(String, String), String> {
    let path_part = arg.split_whitespace().next().unwrap_or("");
    if path_part.is_empty() {
        return Err("include without a file name".to_string());
    }
    let (path, selector) = match path_part.split_once(':') {
        Some((p, s)) => (p, Some(s)),
        None => (path_part, None),
    };
    let rel = source::resolve_in_book(base_dir, path).map_err(|m| format!("include: {m}"))?;
    let full = source::checked_join(root, &rel).map_err(|m| format!("include: {m}"))?;
    let text = source::read_text(&full, &rel).map_err(|m| format!("include: {m}"))?;
    let lines: Vec<&str> = text.lines().collect();
    let selected: Vec<&str> = match selector {
        None => lines
            .iter()
            .copied()
            .filter(|l| !is_anchor_line(l))
            .collect(),
        Some(sel) => {
            let nums: Vec<&str> = sel.split(':').collect();
            let parse = |s: &str| -> Result<Option<usize>, String> {
                if s.is_empty() {
                    Ok(None)
                } else {
                    s.parse::<usize>().map(Some).map_err(|_| String::new())
                }
            };
            match nums.as_slice() {
                [one] if parse(one).is_ok() => {
                    let n = parse(one).ok().flatten().unwrap_or(1);
                    lines
                        .get(n.saturating_sub(1)..n.min(lines.len()))
                        .unwrap_or(&[])
                        .to_vec()
                }
                [a, b] if parse(a).is_ok() && parse(b).is_ok() => {
                    let start = parse(a).ok().flatten().unwrap_or(1).max(1) - 1;
                    let end = parse(b)
                        .ok()
                        .flatten()
                        .unwrap_or(lines.len())
                        .min(lines.len());
                    if start >= end {
                        Vec::new()
                    } else {
                        lines[start..end]
                            .iter()
                            .copied()
                            .filter(|l| !is_anchor_line(l))
                            .collect()
                    }
                }
                [anchor] => {
                    let found = take_anchor(&lines, anchor);
                    if found.is_empty() {
                        return Err(format!(
                            "include: anchor '{anchor}' not found in {rel} (mark it with ANCHOR: {anchor} and ANCHOR_END: {anchor})"
                        ));
                    }
                    found
                }
                _ => {
                    return Err(format!(
                        "include: cannot read the line range '{sel}' (write file:10:20 or file:anchor)"
                    ));
                }
            }
        }
    };
    Ok((selected.join("\n"), rel))
}

fn is_anchor_line(l: &str) -> bool {
    l.contains("ANCHOR:") || l.contains("ANCHOR_END:")
}

fn take_anchor<'a>(lines: &[&'a str], anchor: &str) -> Vec<&'a str> {
    let start_mark = format!("ANCHOR: {anchor}");
    let end_mark = format!("ANCHOR_END: {anchor}");
    let mut inside = false;
    let mut out = Vec::new();
    for l in lines {
        if !inside {
            if l.contains(&start_mark) && l.trim_end().ends_with(anchor)
                || l.contains(&format!("{start_mark} "))
            {
                inside = true;
            }
            continue;
        }
        if l.contains(&end_mark) {
            break;
        }
        if !is_anchor_line(l) {
            out.push(*l);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn book() -> tempfile::TempDir {
        let d = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(d.path().join("src/code")).unwrap();
        std::fs::write(
            d.path().join("src/code/main.rs"),
            "// ANCHOR: all\nfn main() {\n    // ANCHOR: body\n    println!(\"салам\");\n    // ANCHOR_END: body\n}\n// ANCHOR_END: all\n",
        )
        .unwrap();
        d
    }

    #[test]
    fn includes_files_ranges_and_anchors() {
        let d = book();
        let mut diags = Vec::new();
        let (out, _) = expand(
            "A\n{{#include code/main.rs:body}}\nB",
            "src/ch.md",
            d.path(),
            &mut diags,
        );
        assert_eq!(out, "A\n    println!(\"салам\");\nB");
        let (out, _) = expand(
            "{{#include code/main.rs:2:2}}",
            "src/ch.md",
            d.path(),
            &mut diags,
        );
        assert_eq!(out, "fn main() {");
        let (out, _) = expand(
            "{{#rustdoc_include code/main.rs}}",
            "src/ch.md",
            d.path(),
            &mut diags,
        );
        assert!(out.starts_with("fn main() {\n") && !out.contains("ANCHOR"));
        let (out, _) = expand(
            "\\{{#include code/main.rs}}",
            "src/ch.md",
            d.path(),
            &mut diags,
        );
        assert_eq!(out, "{{#include code/main.rs}}");
        assert!(diags.is_empty(), "{diags:?}");
    }

    #[test]
    fn includes_cannot_leave_the_book() {
        let d = book();
        let mut diags = Vec::new();
        let (out, _) = expand(
            "x {{#include ../../../etc/passwd}} y",
            "src/ch.md",
            d.path(),
            &mut diags,
        );
        assert_eq!(out, "x  y");
        assert_eq!(diags.len(), 1);
        assert!(
            diags[0]
                .to_string()
                .starts_with("src/ch.md:1: error: include: path"),
            "{}",
            diags[0]
        );
    }

    #[test]
    fn self_include_stops() {
        let d = book();
        std::fs::write(d.path().join("src/loop.md"), "{{#include loop.md}}").unwrap();
        let mut diags = Vec::new();
        expand("{{#include loop.md}}", "src/ch.md", d.path(), &mut diags);
        assert!(
            diags.iter().any(|d| d.message.contains("nest deeper")),
            "{diags:?}"
        );
    }

    #[test]
    fn line_map_points_into_included_files() {
        let d = book();
        let mut diags = Vec::new();
        let (out, map) = expand(
            "one\n{{#include code/main.rs:2:3}}\nthree\nfour",
            "src/ch.md",
            d.path(),
            &mut diags,
        );
        assert_eq!(out.lines().nth(1), Some("fn main() {"));
        assert_eq!(map.origin(1), ("src/ch.md", 1));
        assert_eq!(map.origin(2), ("src/code/main.rs", 1));
        let four = out.lines().position(|l| l == "four").unwrap() + 1;
        assert_eq!(map.origin(four), ("src/ch.md", 4));
    }
}
