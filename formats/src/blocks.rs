//! Line-level preprocessing before the Markdown parser: `:::` fenced blocks become marker tags,
//! and cheap limits refuse inputs that would nest absurdly deep.

use crate::doc::escaped;

/// How deep `>` quotes or `:::` blocks may nest before the chapter is refused.
pub const MAX_NESTING: usize = 64;

/// The preprocessed text, and for each of its lines the 1-based line it came from.
pub struct Preprocessed {
    pub text: String,
    pub origin: Vec<usize>,
    /// `:::` blocks never closed: (line they open on, column of the `:::`, kind).
    pub unclosed: Vec<(usize, usize, String)>,
}

/// Rewrites `::: kind title` … `:::` into `<kitep-block>` HTML blocks that the tree builder
/// understands, keeping Markdown inside them Markdown. Code fences are left alone.
pub fn preprocess(text: &str) -> Result<Preprocessed, (usize, String)> {
    let mut out = String::with_capacity(text.len() + 64);
    let mut origin = Vec::new();
    let mut fence: Option<(char, usize)> = None;
    let mut open_blocks: Vec<(usize, usize, String)> = Vec::new();
    let push = |out: &mut String, origin: &mut Vec<usize>, line: &str, from: usize| {
        out.push_str(line);
        out.push('\n');
        origin.push(from);
    };
    for (i, line) in text.lines().enumerate() {
        let n = i + 1;
        let trimmed = line.trim_start();
        let indent = line.len() - trimmed.len();
        // Code fences: ``` or ~~~, closed by the same character at least as long.
        if indent < 4 {
            let ch = trimmed.chars().next().unwrap_or(' ');
            if ch == '`' || ch == '~' {
                let len = trimmed.chars().take_while(|c| *c == ch).count();
                if len >= 3 {
                    match fence {
                        None => fence = Some((ch, len)),
                        Some((c, l))
                            if c == ch
                                && len >= l
                                && trimmed[len * ch.len_utf8()..].trim().is_empty() =>
                        {
                            fence = None
                        }
                        _ => {}
                    }
                    push(&mut out, &mut origin, line, n);
                    continue;
                }
            }
        }
        if fence.is_some() {
            push(&mut out, &mut origin, line, n);
            continue;
        }
        let quotes = trimmed
            .chars()
            .take_while(|c| *c == '>' || *c == ' ')
            .filter(|c| *c == '>')
            .count();
        if quotes > MAX_NESTING {
            return Err((
                n,
                format!(
                    "block quotes nest {quotes} deep (at most {MAX_NESTING}); simplify the text"
                ),
            ));
        }
        if indent < 4 && trimmed.starts_with(":::") {
            let rest = trimmed.trim_start_matches(':').trim();
            if rest.is_empty() {
                if open_blocks.pop().is_some() {
                    push(&mut out, &mut origin, "", n);
                    push(&mut out, &mut origin, "</kitep-block>", n);
                    push(&mut out, &mut origin, "", n);
                    continue;
                }
            } else {
                let (kind, title) = match rest.split_once(char::is_whitespace) {
                    Some((k, t)) => (k, t.trim()),
                    None => (rest, ""),
                };
                let kind = kind
                    .trim_start_matches('{')
                    .trim_start_matches('.')
                    .trim_end_matches('}');
                if !kind.is_empty()
                    && kind
                        .chars()
                        .all(|c| c.is_alphanumeric() || c == '-' || c == '_')
                {
                    if open_blocks.len() >= MAX_NESTING {
                        return Err((n, format!("':::' blocks nest deeper than {MAX_NESTING}")));
                    }
                    let column = line[..indent].chars().count() + 1;
                    open_blocks.push((n, column, kind.to_lowercase()));
                    push(&mut out, &mut origin, "", n);
                    let tag = format!(
                        "<kitep-block kind=\"{}\" title=\"{}\">",
                        escaped(&kind.to_lowercase()),
                        escaped(title)
                    );
                    push(&mut out, &mut origin, &tag, n);
                    push(&mut out, &mut origin, "", n);
                    continue;
                }
            }
        }
        push(&mut out, &mut origin, line, n);
    }
    // Blocks left open are closed at the end of the chapter (so the output can be looked at), and
    // reported: where the author meant them to end is a guess.
    let unclosed = open_blocks.clone();
    while open_blocks.pop().is_some() {
        let last = origin.last().copied().unwrap_or(1);
        push(&mut out, &mut origin, "", last);
        push(&mut out, &mut origin, "</kitep-block>", last);
    }
    Ok(Preprocessed {
        text: out,
        origin,
        unclosed,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fenced_blocks_become_markers() {
        let p = preprocess("a\n::: exercise Дроби\nx\n::: answer\ny\n:::\n:::\n```\n:::\n```\n")
            .unwrap();
        assert!(
            p.text
                .contains("<kitep-block kind=\"exercise\" title=\"Дроби\">")
        );
        assert!(p.text.contains("<kitep-block kind=\"answer\" title=\"\">"));
        assert_eq!(p.text.matches("</kitep-block>").count(), 2);
        // The ::: inside the code fence stays as it is.
        assert!(p.text.contains("```\n:::\n```"));
        assert_eq!(p.origin.len(), p.text.lines().count());
        let x_line = p.text.lines().position(|l| l == "x").unwrap();
        assert_eq!(p.origin[x_line], 3);
    }

    #[test]
    fn unclosed_blocks_are_closed_and_deep_quotes_refused() {
        let p = preprocess("::: note\ntext").unwrap();
        assert!(p.text.ends_with("</kitep-block>\n"));
        assert_eq!(p.unclosed, [(1, 1, "note".to_string())]);
        let deep = format!("{}a", ">".repeat(100_000));
        let e = preprocess(&deep).err().unwrap();
        assert_eq!(e.0, 1);
        assert!(e.1.contains("nest"));
    }
}
