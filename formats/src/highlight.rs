//! Code highlighting at build time, with no script in the book: a small lexer per family of
//! languages (keywords, types, strings, numbers, comments, function names, preprocessor lines)
//! that wraps tokens in `<span class="hl-…">`. The colours live in the stylesheets, chosen to keep
//! 4.5:1 contrast on the code background in light and dark mode.
//!
//! Languages: Python, Pascal/Delphi, C, C++, C#, Java, JavaScript/TypeScript, Rust, Go, Kotlin,
//! SQL, shell, HTML/XML, CSS, JSON. Anything else stays plain text.

use crate::doc::Node;

/// Token classes and their CSS class names.
#[derive(Clone, Copy, PartialEq, Debug)]
pub enum Class {
    Keyword,
    Type,
    Literal,
    Str,
    Number,
    Comment,
    Function,
    Meta,
}

impl Class {
    pub fn css(self) -> &'static str {
        match self {
            Class::Keyword => "hl-k",
            Class::Type => "hl-t",
            Class::Literal => "hl-l",
            Class::Str => "hl-s",
            Class::Number => "hl-n",
            Class::Comment => "hl-c",
            Class::Function => "hl-f",
            Class::Meta => "hl-m",
        }
    }
}

struct Spec {
    keywords: &'static [&'static str],
    types: &'static [&'static str],
    literals: &'static [&'static str],
    line_comments: &'static [&'static str],
    block_comments: &'static [(&'static str, &'static str)],
    /// Quote characters that open strings; a backslash escapes inside them unless `pascal_strings`.
    quotes: &'static [char],
    /// Python's `"""…"""` and `'''…'''`.
    triple_quotes: bool,
    /// Pascal and SQL: `''` inside a string is a quote; no backslash escapes.
    doubled_quote_escape: bool,
    /// Keywords match in any case (Pascal, SQL).
    case_insensitive: bool,
    /// `#include` and friends at the start of a line (C family).
    preprocessor: bool,
    /// `@decorator`, `@Annotation`.
    at_meta: bool,
    /// `$var` and `${…}` (shell).
    dollar_vars: bool,
}

const NONE: &[&str] = &[];

#[rustfmt::skip]
const PYTHON: Spec = Spec {
    keywords: &[
        "and", "as", "assert", "async", "await", "break", "class", "continue", "def", "del",
        "elif", "else", "except", "finally", "for", "from", "global", "if", "import", "in", "is",
        "lambda", "nonlocal", "not", "or", "pass", "raise", "return", "try", "while", "with",
        "yield", "match", "case",
    ],
    types: &[
        "int", "float", "str", "bool", "list", "dict", "set", "tuple", "bytes", "object", "range",
        "print", "input", "len", "abs", "min", "max", "sum", "sorted", "open", "type", "enumerate",
        "zip", "map", "filter", "round", "isinstance", "super", "self",
    ],
    literals: &["True", "False", "None"],
    line_comments: &["#"],
    block_comments: &[],
    quotes: &['"', '\''],
    triple_quotes: true,
    doubled_quote_escape: false,
    case_insensitive: false,
    preprocessor: false,
    at_meta: true,
    dollar_vars: false,
};

#[rustfmt::skip]
const PASCAL: Spec = Spec {
    keywords: &[
        "and", "array", "asm", "begin", "case", "const", "constructor", "destructor", "div", "do",
        "downto", "else", "end", "except", "file", "finally", "for", "function", "goto", "if",
        "implementation", "in", "inherited", "interface", "label", "mod", "nil", "not", "object",
        "of", "or", "packed", "procedure", "program", "record", "repeat", "set", "shl", "shr",
        "then", "to", "try", "type", "unit", "until", "uses", "var", "while", "with", "xor",
        "class", "private", "public", "protected", "property", "raise", "exit", "break",
        "continue", "out",
    ],
    types: &[
        "integer", "real", "boolean", "char", "string", "byte", "word", "longint", "shortint",
        "double", "single", "extended", "int64", "cardinal", "text", "writeln", "write", "readln",
        "read", "length", "inc", "dec", "ord", "chr", "sqrt", "sqr", "abs", "round", "trunc",
        "random", "randomize", "copy", "pos", "delete", "insert", "halt",
    ],
    literals: &["true", "false", "nil"],
    line_comments: &["//"],
    block_comments: &[("{", "}"), ("(*", "*)")],
    quotes: &['\''],
    triple_quotes: false,
    doubled_quote_escape: true,
    case_insensitive: true,
    preprocessor: false,
    at_meta: false,
    dollar_vars: false,
};

#[rustfmt::skip]
const C_KEYWORDS: &[&str] = &[
    "auto", "break", "case", "const", "continue", "default", "do", "else", "enum", "extern", "for",
    "goto", "if", "inline", "register", "restrict", "return", "sizeof", "static", "struct",
    "switch", "typedef", "union", "volatile", "while",
];

#[rustfmt::skip]
const C: Spec = Spec {
    keywords: C_KEYWORDS,
    types: &[
        "int", "char", "float", "double", "long", "short", "signed", "unsigned", "void", "bool",
        "size_t", "FILE", "printf", "scanf", "malloc", "free",
    ],
    literals: &["true", "false", "NULL"],
    line_comments: &["//"],
    block_comments: &[("/*", "*/")],
    quotes: &['"', '\''],
    triple_quotes: false,
    doubled_quote_escape: false,
    case_insensitive: false,
    preprocessor: true,
    at_meta: false,
    dollar_vars: false,
};

#[rustfmt::skip]
const CPP: Spec = Spec {
    keywords: &[
        "auto", "break", "case", "catch", "class", "const", "constexpr", "continue", "default",
        "delete", "do", "else", "enum", "explicit", "extern", "for", "friend", "goto", "if",
        "inline", "namespace", "new", "noexcept", "operator", "private", "protected", "public",
        "return", "sizeof", "static", "struct", "switch", "template", "this", "throw", "try",
        "typedef", "typename", "union", "using", "virtual", "volatile", "while", "override",
        "final",
    ],
    types: &[
        "int", "char", "float", "double", "long", "short", "signed", "unsigned", "void", "bool",
        "size_t", "string", "vector", "map", "set", "pair", "std", "cout", "cin", "endl", "cerr",
    ],
    literals: &["true", "false", "nullptr", "NULL"],
    ..C
};

#[rustfmt::skip]
const JAVA: Spec = Spec {
    keywords: &[
        "abstract", "assert", "break", "case", "catch", "class", "continue", "default", "do",
        "else", "enum", "extends", "final", "finally", "for", "if", "implements", "import",
        "instanceof", "interface", "native", "new", "package", "private", "protected", "public",
        "return", "static", "super", "switch", "synchronized", "this", "throw", "throws", "try",
        "var", "void", "volatile", "while", "record", "yield",
    ],
    types: &[
        "int", "char", "float", "double", "long", "short", "byte", "boolean", "String", "Object",
        "Integer", "List", "ArrayList", "Map", "HashMap", "System", "Scanner", "Math",
    ],
    literals: &["true", "false", "null"],
    line_comments: &["//"],
    block_comments: &[("/*", "*/")],
    quotes: &['"', '\''],
    triple_quotes: false,
    doubled_quote_escape: false,
    case_insensitive: false,
    preprocessor: false,
    at_meta: true,
    dollar_vars: false,
};

#[rustfmt::skip]
const CSHARP: Spec = Spec {
    keywords: &[
        "abstract", "as", "base", "break", "case", "catch", "class", "const", "continue",
        "default", "do", "else", "enum", "event", "explicit", "extern", "finally", "for",
        "foreach", "if", "in", "interface", "internal", "is", "namespace", "new", "operator",
        "out", "override", "private", "protected", "public", "readonly", "ref", "return", "sealed",
        "static", "struct", "switch", "this", "throw", "try", "using", "var", "virtual", "void",
        "while", "async", "await",
    ],
    types: &[
        "int", "char", "float", "double", "long", "short", "byte", "bool", "string", "object",
        "decimal", "Console", "List", "Dictionary", "Math",
    ],
    literals: &["true", "false", "null"],
    preprocessor: true,
    at_meta: false,
    ..JAVA
};

#[rustfmt::skip]
const JAVASCRIPT: Spec = Spec {
    keywords: &[
        "async", "await", "break", "case", "catch", "class", "const", "continue", "debugger",
        "default", "delete", "do", "else", "export", "extends", "finally", "for", "function", "if",
        "import", "in", "instanceof", "let", "new", "of", "return", "static", "super", "switch",
        "this", "throw", "try", "typeof", "var", "void", "while", "yield", "from", "as",
        "interface", "type", "enum", "implements",
    ],
    types: &[
        "console", "document", "window", "Math", "Array", "Object", "String", "Number", "Boolean",
        "Promise", "JSON", "number", "string", "boolean", "any",
    ],
    literals: &["true", "false", "null", "undefined", "NaN"],
    line_comments: &["//"],
    block_comments: &[("/*", "*/")],
    quotes: &['"', '\'', '`'],
    triple_quotes: false,
    doubled_quote_escape: false,
    case_insensitive: false,
    preprocessor: false,
    at_meta: true,
    dollar_vars: false,
};

#[rustfmt::skip]
const RUST: Spec = Spec {
    keywords: &[
        "as", "async", "await", "break", "const", "continue", "crate", "dyn", "else", "enum",
        "extern", "fn", "for", "if", "impl", "in", "let", "loop", "match", "mod", "move", "mut",
        "pub", "ref", "return", "static", "struct", "super", "trait", "type", "unsafe", "use",
        "where", "while", "self", "Self",
    ],
    types: &[
        "i8", "i16", "i32", "i64", "i128", "isize", "u8", "u16", "u32", "u64", "u128", "usize",
        "f32", "f64", "bool", "char", "str", "String", "Vec", "Option", "Result", "Box", "Some",
        "None", "Ok", "Err", "HashMap",
    ],
    literals: &["true", "false"],
    line_comments: &["//"],
    block_comments: &[("/*", "*/")],
    quotes: &['"'],
    triple_quotes: false,
    doubled_quote_escape: false,
    case_insensitive: false,
    preprocessor: false,
    at_meta: false,
    dollar_vars: false,
};

#[rustfmt::skip]
const GO: Spec = Spec {
    keywords: &[
        "break", "case", "chan", "const", "continue", "default", "defer", "else", "fallthrough",
        "for", "func", "go", "goto", "if", "import", "interface", "map", "package", "range",
        "return", "select", "struct", "switch", "type", "var",
    ],
    types: &[
        "int", "int64", "float64", "string", "bool", "byte", "rune", "error", "fmt", "len", "make",
        "append",
    ],
    literals: &["true", "false", "nil"],
    quotes: &['"', '\'', '`'],
    ..RUST
};

#[rustfmt::skip]
const KOTLIN: Spec = Spec {
    keywords: &[
        "as", "break", "class", "continue", "do", "else", "for", "fun", "if", "in", "interface",
        "is", "object", "package", "return", "super", "this", "throw", "try", "typealias", "val",
        "var", "when", "while", "import", "private", "public", "override", "data", "catch",
    ],
    types: &[
        "Int", "Long", "Double", "Float", "String", "Boolean", "Char", "List", "Map", "println",
        "print", "readLine",
    ],
    literals: &["true", "false", "null"],
    ..JAVA
};

#[rustfmt::skip]
const SQL: Spec = Spec {
    keywords: &[
        "select", "from", "where", "and", "or", "not", "insert", "into", "values", "update", "set",
        "delete", "create", "table", "drop", "alter", "join", "left", "right", "inner", "outer",
        "on", "group", "by", "order", "having", "as", "distinct", "limit", "primary", "key",
        "foreign", "references", "index", "in", "is", "like", "between", "union", "asc", "desc",
        "count", "sum", "avg", "min", "max",
    ],
    types: &[
        "int", "integer", "varchar", "text", "char", "date", "real", "float", "boolean", "decimal",
    ],
    literals: &["null", "true", "false"],
    line_comments: &["--"],
    block_comments: &[("/*", "*/")],
    quotes: &['\''],
    triple_quotes: false,
    doubled_quote_escape: true,
    case_insensitive: true,
    preprocessor: false,
    at_meta: false,
    dollar_vars: false,
};

#[rustfmt::skip]
const SHELL: Spec = Spec {
    keywords: &[
        "if", "then", "else", "elif", "fi", "for", "in", "do", "done", "while", "until", "case",
        "esac", "function", "return", "export", "local",
    ],
    types: &[
        "echo", "cd", "ls", "cat", "grep", "mkdir", "rm", "cp", "mv", "sudo", "apt", "pip",
        "python3", "cargo", "git",
    ],
    literals: NONE,
    line_comments: &["#"],
    block_comments: &[],
    quotes: &['"', '\''],
    triple_quotes: false,
    doubled_quote_escape: false,
    case_insensitive: false,
    preprocessor: false,
    at_meta: false,
    dollar_vars: true,
};

const CSS: Spec = Spec {
    keywords: NONE,
    types: NONE,
    literals: &["important", "inherit", "none", "auto"],
    line_comments: &[],
    block_comments: &[("/*", "*/")],
    quotes: &['"', '\''],
    triple_quotes: false,
    doubled_quote_escape: false,
    case_insensitive: false,
    preprocessor: false,
    at_meta: true,
    dollar_vars: false,
};

const JSON: Spec = Spec {
    keywords: NONE,
    types: NONE,
    literals: &["true", "false", "null"],
    line_comments: &[],
    block_comments: &[],
    quotes: &['"'],
    triple_quotes: false,
    doubled_quote_escape: false,
    case_insensitive: false,
    preprocessor: false,
    at_meta: false,
    dollar_vars: false,
};

enum Family {
    Code(&'static Spec),
    Markup,
}

fn family(lang: &str) -> Option<Family> {
    let lang = lang.to_ascii_lowercase();
    Some(Family::Code(match lang.as_str() {
        "python" | "py" | "python3" | "py3" => &PYTHON,
        "pascal" | "pas" | "delphi" | "objectpascal" | "freepascal" | "fpc" => &PASCAL,
        "c" | "h" => &C,
        "cpp" | "c++" | "cxx" | "cc" | "hpp" => &CPP,
        "cs" | "csharp" | "c#" => &CSHARP,
        "java" => &JAVA,
        "js" | "javascript" | "ts" | "typescript" | "jsx" | "tsx" | "mjs" => &JAVASCRIPT,
        "rust" | "rs" => &RUST,
        "go" | "golang" => &GO,
        "kotlin" | "kt" => &KOTLIN,
        "sql" | "sqlite" | "postgresql" | "mysql" => &SQL,
        "sh" | "bash" | "shell" | "console" | "zsh" => &SHELL,
        "css" => &CSS,
        "json" => &JSON,
        "html" | "xml" | "xhtml" | "svg" | "htm" => return Some(Family::Markup),
        _ => return None,
    }))
}

/// The code as text and highlighted spans; `None` for a language this module does not know.
pub fn highlight(lang: &str, code: &str) -> Option<Vec<Node>> {
    let tokens = match family(lang)? {
        Family::Code(spec) => lex(spec, code),
        Family::Markup => lex_markup(code),
    };
    let mut nodes: Vec<Node> = Vec::new();
    for (class, text) in tokens {
        match class {
            Some(c) => nodes.push(Node::Token {
                class: c.css(),
                text: text.to_string(),
            }),
            None => match nodes.last_mut() {
                Some(Node::Text(t)) => t.push_str(text),
                _ => nodes.push(Node::Text(text.to_string())),
            },
        }
    }
    Some(nodes)
}

fn is_ident_start(c: char) -> bool {
    c.is_alphabetic() || c == '_'
}

fn is_ident(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// Splits `code` into tokens with their classes; the pieces, joined, are `code` exactly.
fn lex<'a>(spec: &Spec, code: &'a str) -> Vec<(Option<Class>, &'a str)> {
    let mut out = Vec::new();
    let b = code.as_bytes();
    let mut i = 0;
    let mut plain_from = 0;
    let mut line_start = true;
    macro_rules! emit {
        ($class:expr, $end:expr) => {{
            if plain_from < i {
                out.push((None, &code[plain_from..i]));
            }
            let end = $end;
            out.push(($class, &code[i..end]));
            i = end;
            plain_from = end;
        }};
    }
    while i < code.len() {
        let rest = &code[i..];
        let c = rest.chars().next().unwrap_or(' ');
        if c == '\n' {
            line_start = true;
            i += 1;
            continue;
        }
        if c.is_whitespace() {
            i += c.len_utf8();
            continue;
        }
        let at_line_start = line_start;
        line_start = false;
        if spec.preprocessor && at_line_start && c == '#' {
            emit!(Some(Class::Meta), line_end(code, i));
            continue;
        }
        if let Some(start) = spec.line_comments.iter().find(|s| rest.starts_with(**s)) {
            // `#` in shell is a comment only at a word's start (`$#` is not).
            let prev = code[..i].chars().last();
            if !(spec.dollar_vars && *start == "#" && prev.is_some_and(|p| !p.is_whitespace())) {
                emit!(Some(Class::Comment), line_end(code, i));
                continue;
            }
        }
        if let Some((open, close)) = spec
            .block_comments
            .iter()
            .find(|(o, _)| rest.starts_with(*o))
        {
            let end = rest[open.len()..]
                .find(close)
                .map(|e| i + open.len() + e + close.len())
                .unwrap_or(code.len());
            emit!(Some(Class::Comment), end);
            continue;
        }
        // Python's string prefixes (r"…", f'…', b"…").
        let prefix_len = if spec.triple_quotes {
            let p = rest
                .chars()
                .take_while(|c| matches!(c, 'r' | 'R' | 'b' | 'B' | 'f' | 'F' | 'u' | 'U'))
                .count();
            if p <= 2 && rest[p..].starts_with(spec.quotes) && !code[..i].ends_with(is_ident) {
                p
            } else {
                0
            }
        } else {
            0
        };
        let quote_at = &rest[prefix_len..];
        if let Some(q) = quote_at.chars().next().filter(|q| spec.quotes.contains(q))
            && (prefix_len > 0 || q == c)
        {
            let start = i + prefix_len;
            let triple = |s: &str| s.len() >= 3 && s.bytes().take(3).all(|b| b as char == q);
            let end = if spec.triple_quotes && triple(quote_at) {
                let body = &code[start + 3..];
                body.char_indices()
                    .find(|(k, _)| triple(&body[*k..]))
                    .map(|(k, _)| start + 3 + k + 3)
                    .unwrap_or(code.len())
            } else {
                string_end(code, start, q, spec.doubled_quote_escape)
            };
            emit!(Some(Class::Str), end);
            continue;
        }
        if spec.at_meta && c == '@' {
            let end = i + 1 + ident_len(&rest[1..]);
            if end > i + 1 {
                emit!(Some(Class::Meta), end);
                continue;
            }
        }
        if spec.dollar_vars && c == '$' {
            let end = if rest[1..].starts_with('{') {
                rest.find('}').map(|e| i + e + 1).unwrap_or(i + 1)
            } else {
                i + 1 + ident_len(&rest[1..]).max(usize::from(rest.len() > 1))
            };
            emit!(Some(Class::Meta), end.min(code.len()));
            continue;
        }
        if c.is_ascii_digit()
            || (c == '.' && rest[1..].starts_with(|d: char| d.is_ascii_digit()))
            || (spec.case_insensitive
                && c == '$'
                && rest[1..].starts_with(|d: char| d.is_ascii_hexdigit()))
        {
            if code[..i].ends_with(is_ident) {
                i += 1;
                continue;
            }
            let mut end = i + 1;
            let bytes = code.as_bytes();
            while end < code.len() {
                let d = bytes[end];
                let exp_sign = (d == b'+' || d == b'-')
                    && matches!(bytes[end - 1], b'e' | b'E')
                    && !code[i..end].starts_with("0x");
                let fraction = d == b'.' && bytes.get(end + 1).is_some_and(u8::is_ascii_digit);
                if d.is_ascii_alphanumeric() || d == b'_' || exp_sign || fraction {
                    end += 1;
                } else {
                    break;
                }
            }
            emit!(Some(Class::Number), end);
            continue;
        }
        if is_ident_start(c) {
            let len = ident_len(rest);
            let word = &rest[..len];
            let matches = |list: &[&str]| {
                if spec.case_insensitive {
                    list.iter().any(|k| k.eq_ignore_ascii_case(word))
                } else {
                    list.contains(&word)
                }
            };
            let after = rest[len..].trim_start_matches([' ', '\t']);
            let class = if matches(spec.keywords) {
                Some(Class::Keyword)
            } else if matches(spec.literals) {
                Some(Class::Literal)
            } else if matches(spec.types) {
                Some(Class::Type)
            } else if after.starts_with('(') {
                Some(Class::Function)
            } else {
                None
            };
            match class {
                Some(_) => emit!(class, i + len),
                None => i += len,
            }
            continue;
        }
        i += c.len_utf8();
        let _ = b;
    }
    if plain_from < code.len() {
        out.push((None, &code[plain_from..]));
    }
    out
}

fn ident_len(s: &str) -> usize {
    let mut n = 0;
    for (k, c) in s.char_indices() {
        if (k == 0 && is_ident_start(c)) || (k > 0 && is_ident(c)) {
            n = k + c.len_utf8();
        } else {
            break;
        }
    }
    n
}

fn line_end(code: &str, from: usize) -> usize {
    code[from..]
        .find('\n')
        .map(|e| from + e)
        .unwrap_or(code.len())
}

/// The end of a string opened at `start` by `q`: past the closing quote, or at the line's end
/// for an unclosed one (so one typo does not colour the rest of the listing).
fn string_end(code: &str, start: usize, q: char, doubled: bool) -> usize {
    let mut chars = code[start + q.len_utf8()..].char_indices().peekable();
    let base = start + q.len_utf8();
    while let Some((k, c)) = chars.next() {
        if c == '\\' && !doubled {
            chars.next();
        } else if c == q {
            if doubled && chars.peek().is_some_and(|(_, n)| *n == q) {
                chars.next();
                continue;
            }
            return base + k + c.len_utf8();
        } else if c == '\n' && q != '`' {
            return base + k;
        }
    }
    code.len()
}

/// HTML and XML: tags and attribute names, attribute values, comments, entities.
fn lex_markup(code: &str) -> Vec<(Option<Class>, &str)> {
    fn flush<'a>(out: &mut Vec<(Option<Class>, &'a str)>, code: &'a str, from: usize, to: usize) {
        if from < to {
            out.push((None, &code[from..to]));
        }
    }
    let mut out: Vec<(Option<Class>, &str)> = Vec::new();
    let mut i = 0;
    let mut plain_from = 0;
    while i < code.len() {
        let rest = &code[i..];
        if rest.starts_with("<!--") {
            flush(&mut out, code, plain_from, i);
            let end = rest.find("-->").map(|e| i + e + 3).unwrap_or(code.len());
            out.push((Some(Class::Comment), &code[i..end]));
            i = end;
            plain_from = end;
        } else if rest.starts_with('<')
            && rest[1..]
                .starts_with(|c: char| c.is_ascii_alphabetic() || c == '/' || c == '!' || c == '?')
        {
            flush(&mut out, code, plain_from, i);
            let lead = 1 + usize::from(rest[1..].starts_with(['/', '!', '?']));
            out.push((None, &code[i..i + lead]));
            let name_len = rest[lead..]
                .find(|c: char| c.is_whitespace() || c == '>' || c == '/')
                .unwrap_or(rest.len() - lead);
            out.push((Some(Class::Keyword), &code[i + lead..i + lead + name_len]));
            i += lead + name_len;
            // Attributes up to the tag's end.
            while i < code.len() && !code[i..].starts_with('>') {
                let r = &code[i..];
                let c = r.chars().next().unwrap_or(' ');
                if c == '"' || c == '\'' {
                    let end = r[1..].find(c).map(|e| i + e + 2).unwrap_or(code.len());
                    out.push((Some(Class::Str), &code[i..end]));
                    i = end;
                } else if c.is_alphabetic() {
                    let len = r
                        .find(|c: char| c.is_whitespace() || "=>/\"'".contains(c))
                        .unwrap_or(r.len());
                    out.push((Some(Class::Type), &code[i..i + len]));
                    i += len;
                } else {
                    out.push((None, &code[i..i + c.len_utf8()]));
                    i += c.len_utf8();
                }
            }
            if i < code.len() {
                out.push((None, &code[i..i + 1]));
                i += 1;
            }
            plain_from = i;
        } else if rest.starts_with('&')
            && let Some(end) = rest[1..].find(';').filter(|&e| {
                e < 10
                    && rest[1..1 + e]
                        .chars()
                        .all(|c| c.is_alphanumeric() || c == '#')
            })
        {
            flush(&mut out, code, plain_from, i);
            out.push((Some(Class::Meta), &code[i..i + end + 2]));
            i += end + 2;
            plain_from = i;
        } else {
            i += rest.chars().next().map(char::len_utf8).unwrap_or(1);
        }
    }
    flush(&mut out, code, plain_from, code.len());
    out.retain(|(_, s)| !s.is_empty());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn classes(lang: &str, code: &str) -> Vec<(String, &'static str)> {
        let nodes = highlight(lang, code).unwrap();
        let mut joined = String::new();
        let mut out = Vec::new();
        for n in &nodes {
            match n {
                Node::Text(t) => joined.push_str(t),
                Node::Token { class, text } => {
                    joined.push_str(text);
                    out.push((text.clone(), *class));
                }
                Node::Element(_) | Node::Math(_) => unreachable!(),
            }
        }
        assert_eq!(joined, code, "highlighting must not change the text");
        out
    }

    fn has(list: &[(String, &str)], text: &str, class: &str) -> bool {
        list.iter().any(|(t, c)| t == text && *c == class)
    }

    #[test]
    fn python() {
        let c = classes(
            "python",
            "def area(r):\n    # πr²\n    return 3.14 * r ** 2  # жооп\nprint(f\"S = {area(2)}\", None)\ns = '''көп\nсаптуу'''\n",
        );
        assert!(has(&c, "def", "hl-k"));
        assert!(has(&c, "area", "hl-f"));
        assert!(has(&c, "# πr²", "hl-c"));
        assert!(has(&c, "3.14", "hl-n"));
        assert!(has(&c, "f\"S = {area(2)}\"", "hl-s"));
        assert!(has(&c, "None", "hl-l"));
        assert!(has(&c, "'''көп\nсаптуу'''", "hl-s"));
        assert!(has(&c, "# жооп", "hl-c"));
    }

    #[test]
    fn pascal_is_case_insensitive_with_its_comments_and_strings() {
        let c = classes(
            "pascal",
            "program Hello;\n{ салам }\nvar i: Integer;\nBEGIN\n  (* цикл *)\n  for i := 1 to 10 do WriteLn('It''s ', i); // бүттү\nEND.\n",
        );
        assert!(has(&c, "program", "hl-k"));
        assert!(has(&c, "BEGIN", "hl-k"));
        assert!(has(&c, "{ салам }", "hl-c"));
        assert!(has(&c, "(* цикл *)", "hl-c"));
        assert!(has(&c, "'It''s '", "hl-s"));
        assert!(has(&c, "Integer", "hl-t"));
        assert!(has(&c, "// бүттү", "hl-c"));
    }

    #[test]
    fn c_family_and_markup() {
        let c = classes(
            "cpp",
            "#include <iostream>\nint main() {\n  std::cout << \"x\\\"y\" << 0x1F << 1e-3; /* note */\n}\n",
        );
        assert!(has(&c, "#include <iostream>", "hl-m"));
        assert!(has(&c, "int", "hl-t"));
        assert!(has(&c, "main", "hl-f"));
        assert!(has(&c, "\"x\\\"y\"", "hl-s"));
        assert!(has(&c, "0x1F", "hl-n"));
        assert!(has(&c, "1e-3", "hl-n"));
        assert!(has(&c, "/* note */", "hl-c"));
        let j = classes("java", "@Override\npublic String f() { return null; }");
        assert!(has(&j, "@Override", "hl-m"));
        assert!(has(&j, "null", "hl-l"));
        let h = classes(
            "html",
            "<!-- баш -->\n<p class=\"note\">Салам &amp; кош</p>",
        );
        assert!(has(&h, "<!-- баш -->", "hl-c"));
        assert!(has(&h, "p", "hl-k"));
        assert!(has(&h, "class", "hl-t"));
        assert!(has(&h, "\"note\"", "hl-s"));
        assert!(has(&h, "&amp;", "hl-m"));
    }

    #[test]
    fn an_unclosed_string_stops_at_the_line_end_and_unknown_languages_stay_plain() {
        let c = classes("python", "s = \"open\nx = 1\n");
        assert!(has(&c, "\"open", "hl-s"));
        assert!(has(&c, "1", "hl-n"));
        assert!(highlight("brainfuck", "+++").is_none());
        // Identifiers with digits are not numbers.
        let c = classes("c", "int x1 = a2;");
        assert!(!c.iter().any(|(t, _)| t == "1" || t == "2"));
    }

    fn luminance(hex: &str) -> f64 {
        let hex = hex.trim_start_matches('#');
        let channel = |i: usize| {
            let c = u8::from_str_radix(&hex[i..i + 2], 16).unwrap() as f64 / 255.0;
            if c <= 0.03928 {
                c / 12.92
            } else {
                ((c + 0.055) / 1.055).powf(2.4)
            }
        };
        0.2126 * channel(0) + 0.7152 * channel(2) + 0.0722 * channel(4)
    }

    fn contrast(a: &str, b: &str) -> f64 {
        let (x, y) = (luminance(a), luminance(b));
        (x.max(y) + 0.05) / (x.min(y) + 0.05)
    }

    /// `--name: #rrggbb` values of one `:root { … }` block of the reader's stylesheet.
    fn vars(block: &str) -> Vec<(String, String)> {
        block
            .split(';')
            .filter_map(|d| {
                let (k, v) = d.split_once(':')?;
                let k = k.trim().trim_start_matches(":root {").trim();
                let v = v.trim().trim_end_matches('}').trim();
                (k.starts_with("--") && v.starts_with('#') && v.len() == 7)
                    .then(|| (k.to_string(), v.to_string()))
            })
            .collect()
    }

    #[test]
    fn every_highlight_colour_keeps_aa_contrast_in_light_and_dark_mode() {
        let css = crate::reader::READER_CSS;
        let dark_at = css.find("prefers-color-scheme: dark").unwrap();
        for block in [&css[..dark_at], &css[dark_at..]] {
            let root = &block[block.find(":root").unwrap()..];
            let root = &root[..root.find('}').unwrap()];
            let v = vars(root);
            let get = |name: &str| v.iter().find(|(k, _)| k == name).unwrap().1.clone();
            let colours: Vec<_> = v.iter().filter(|(k, _)| k.starts_with("--hl-")).collect();
            assert_eq!(colours.len(), 8, "{root}");
            for (name, colour) in colours {
                for bg in [get("--box"), get("--bg")] {
                    let c = contrast(colour, &bg);
                    assert!(c >= 4.5, "{name} {colour} on {bg}: {c:.2}");
                }
            }
        }
        // The EPUB's colours: light ones on white and on a sepia page, dark ones on black and
        // on a reading system's dark grey.
        let book = crate::epub::BOOK_CSS;
        let dark_at = book.find("prefers-color-scheme: dark").unwrap();
        let colours = |s: &str| -> Vec<String> {
            s.match_indices("color: #")
                .map(|(i, _)| s[i + 7..i + 14].to_string())
                .collect()
        };
        let hl_light = &book[book.find(".hl-k").unwrap()..dark_at];
        for c in colours(hl_light) {
            for bg in ["#ffffff", "#f8f1e3"] {
                assert!(contrast(&c, bg) >= 4.5, "{c} on {bg}");
            }
        }
        let hl_dark = &book[dark_at..];
        let hl_dark = &hl_dark[..hl_dark.find("\n}").unwrap()];
        assert_eq!(colours(hl_dark).len(), 7);
        for c in colours(hl_dark) {
            for bg in ["#000000", "#2b2b2b"] {
                assert!(contrast(&c, bg) >= 4.5, "{c} on {bg}");
            }
        }
    }
}
