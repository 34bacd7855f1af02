//! Word equations (Office Math Markup, `m:oMath`) into the LaTeX subset books write between `$`.
//! Constructs without a LaTeX counterpart keep their content and are reported by name.

use super::xml::{El, Node};

/// The LaTeX of one `m:oMath`, and the names of the constructs that could not be carried over.
pub fn to_latex(math: &El) -> (String, Vec<String>) {
    let mut w = Writer::default();
    w.children(math);
    (w.out.trim().to_string(), w.unknown)
}

#[derive(Default)]
struct Writer {
    out: String,
    unknown: Vec<String>,
}

impl Writer {
    fn children(&mut self, el: &El) {
        for n in &el.children {
            if let Node::El(e) = n {
                self.node(e);
            }
        }
    }

    /// The content of a child argument (`m:e`, `m:num` …) as a braced group.
    fn group(&mut self, el: &El, name: &str) {
        self.out.push('{');
        if let Some(c) = el.child(name) {
            self.children(c);
        }
        self.out.push('}');
    }

    fn has_content(el: &El, name: &str) -> bool {
        el.child(name).is_some_and(|c| {
            c.elements()
                .any(|e| !e.name.ends_with("Pr") && !e.name.ends_with("CtrlPr"))
        })
    }

    fn node(&mut self, e: &El) {
        match e.name.as_str() {
            "m:r" => self.run(e),
            "m:f" => {
                let kind = e.child("m:fPr").and_then(|p| p.child_val_m("m:type"));
                match kind {
                    Some("lin") => {
                        self.group(e, "m:num");
                        self.out.push('/');
                        self.group(e, "m:den");
                    }
                    Some("noBar") => {
                        self.out.push_str("\\genfrac{}{}{0pt}{}");
                        self.group(e, "m:num");
                        self.group(e, "m:den");
                    }
                    _ => {
                        self.out.push_str("\\frac");
                        self.group(e, "m:num");
                        self.group(e, "m:den");
                    }
                }
            }
            "m:sSup" => {
                self.group(e, "m:e");
                self.out.push('^');
                self.group(e, "m:sup");
            }
            "m:sSub" => {
                self.group(e, "m:e");
                self.out.push('_');
                self.group(e, "m:sub");
            }
            "m:sSubSup" => {
                self.group(e, "m:e");
                self.out.push('_');
                self.group(e, "m:sub");
                self.out.push('^');
                self.group(e, "m:sup");
            }
            "m:sPre" => {
                self.out.push_str("{}_");
                self.group(e, "m:sub");
                self.out.push('^');
                self.group(e, "m:sup");
                self.group(e, "m:e");
            }
            "m:rad" => {
                let hidden = e
                    .child("m:radPr")
                    .and_then(|p| p.child_val_m("m:degHide"))
                    .is_some_and(|v| v == "1" || v == "on" || v == "true");
                self.out.push_str("\\sqrt");
                if !hidden && Self::has_content(e, "m:deg") {
                    self.out.push('[');
                    if let Some(d) = e.child("m:deg") {
                        self.children(d);
                    }
                    self.out.push(']');
                }
                self.group(e, "m:e");
            }
            "m:d" => self.delimiter(e),
            "m:nary" => self.nary(e),
            "m:func" => {
                if let Some(name) = e.child("m:fName") {
                    let mut inner = Writer::default();
                    inner.children(name);
                    self.unknown.append(&mut inner.unknown);
                    let text = inner.out.trim().to_string();
                    match text.as_str() {
                        "sin" | "cos" | "tan" | "cot" | "sec" | "csc" | "log" | "ln" | "lg"
                        | "exp" | "lim" | "max" | "min" | "sinh" | "cosh" | "tanh" | "arcsin"
                        | "arccos" | "arctan" | "det" | "gcd" | "deg" => {
                            self.out.push('\\');
                            self.out.push_str(&text);
                        }
                        "tg" | "ctg" | "arctg" | "arcctg" | "sh" | "ch" | "th" => {
                            self.out.push_str("\\operatorname{");
                            self.out.push_str(&text);
                            self.out.push('}');
                        }
                        _ => self.out.push_str(&text),
                    }
                }
                self.out.push(' ');
                self.group(e, "m:e");
            }
            "m:limLow" => {
                self.group(e, "m:e");
                self.out.push('_');
                self.group(e, "m:lim");
            }
            "m:limUpp" => {
                self.out.push_str("\\overset");
                self.group(e, "m:lim");
                self.group(e, "m:e");
            }
            "m:acc" => {
                let chr = e
                    .child("m:accPr")
                    .and_then(|p| p.child_val_m("m:chr"))
                    .unwrap_or("\u{302}");
                let cmd = match chr {
                    "\u{302}" | "^" => "\\hat",
                    "\u{303}" | "~" => "\\tilde",
                    "\u{304}" | "\u{305}" | "¯" => "\\bar",
                    "\u{307}" => "\\dot",
                    "\u{308}" => "\\ddot",
                    "\u{20D7}" | "\u{2192}" => "\\vec",
                    "\u{306}" => "\\breve",
                    "\u{30C}" => "\\check",
                    "\u{301}" => "\\acute",
                    "\u{300}" => "\\grave",
                    _ => "\\hat",
                };
                self.out.push_str(cmd);
                self.group(e, "m:e");
            }
            "m:bar" => {
                let bottom = e
                    .child("m:barPr")
                    .and_then(|p| p.child_val_m("m:pos"))
                    .is_some_and(|v| v == "bot");
                self.out
                    .push_str(if bottom { "\\underline" } else { "\\overline" });
                self.group(e, "m:e");
            }
            "m:groupChr" => {
                let pr = e.child("m:groupChrPr");
                let chr = pr
                    .and_then(|p| p.child_val_m("m:chr"))
                    .unwrap_or("\u{23DF}");
                let top = pr
                    .and_then(|p| p.child_val_m("m:pos"))
                    .is_some_and(|v| v == "top");
                let cmd = match (chr, top) {
                    ("\u{23DE}", _) | (_, true) => "\\overbrace",
                    _ => "\\underbrace",
                };
                self.out.push_str(cmd);
                self.group(e, "m:e");
            }
            "m:borderBox" => {
                self.out.push_str("\\boxed");
                self.group(e, "m:e");
            }
            "m:box" | "m:phant" => {
                self.group(e, "m:e");
            }
            "m:m" => {
                self.out.push_str("\\begin{matrix}");
                let rows: Vec<&El> = e.children_named("m:mr").collect();
                for (i, row) in rows.iter().enumerate() {
                    if i > 0 {
                        self.out.push_str(" \\\\ ");
                    }
                    for (j, cell) in row.children_named("m:e").enumerate() {
                        if j > 0 {
                            self.out.push_str(" & ");
                        }
                        self.children(cell);
                    }
                }
                self.out.push_str("\\end{matrix}");
            }
            "m:eqArr" => {
                self.out.push_str("\\begin{aligned}");
                for (i, row) in e.children_named("m:e").enumerate() {
                    if i > 0 {
                        self.out.push_str(" \\\\ ");
                    }
                    self.children(row);
                }
                self.out.push_str("\\end{aligned}");
            }
            "m:e" | "m:num" | "m:den" | "m:oMath" | "m:sub" | "m:sup" | "m:lim" | "m:deg" => {
                self.children(e)
            }
            // Properties, and Word's own formatting of runs.
            name if name.ends_with("Pr") => {}
            "w:r" => {
                // A Word run inside an equation (rare): its text.
                let t = e.text();
                self.text(&t, false);
            }
            "w:bookmarkStart" | "w:bookmarkEnd" | "w:proofErr" => {}
            other => {
                self.unknown.push(other.to_string());
                self.children(e);
            }
        }
    }

    fn run(&mut self, r: &El) {
        let pr = r.child("m:rPr");
        let normal_text = pr.is_some_and(|p| p.child("m:nor").is_some());
        let plain = pr
            .and_then(|p| p.child_val_m("m:sty"))
            .is_some_and(|s| s == "p");
        let text: String = r.children_named("m:t").map(El::text).collect();
        if text.is_empty() {
            return;
        }
        if normal_text || (plain && text.chars().any(char::is_whitespace)) {
            self.out.push_str("\\text{");
            self.out.push_str(&escape_text(&text));
            self.out.push('}');
        } else if plain && text.chars().count() > 1 && text.chars().all(char::is_alphabetic) {
            self.out.push_str("\\mathrm{");
            self.out.push_str(&text);
            self.out.push('}');
        } else {
            self.text(&text, true);
        }
    }

    /// Characters of an equation: LaTeX's special characters and the symbols LaTeX spells as
    /// commands; letters and digits as they are (Cyrillic letters included).
    fn text(&mut self, text: &str, math: bool) {
        for c in text.chars() {
            let cmd = match c {
                '{' => "\\{",
                '}' => "\\}",
                '#' => "\\#",
                '%' => "\\%",
                '&' => "\\&",
                '$' => "\\$",
                '_' => "\\_",
                '\\' => "\\backslash ",
                '~' => "\\sim ",
                '^' => "\\hat{}",
                '\u{2212}' => "-",
                '\u{00D7}' => "\\times ",
                '\u{00F7}' => "\\div ",
                '\u{00B7}' | '\u{22C5}' => "\\cdot ",
                '\u{2264}' => "\\le ",
                '\u{2265}' => "\\ge ",
                '\u{2260}' => "\\ne ",
                '\u{2248}' => "\\approx ",
                '\u{00B1}' => "\\pm ",
                '\u{221E}' => "\\infty ",
                '\u{2192}' => "\\to ",
                '\u{2208}' => "\\in ",
                '\u{2209}' => "\\notin ",
                '\u{2282}' => "\\subset ",
                '\u{222A}' => "\\cup ",
                '\u{2229}' => "\\cap ",
                '\u{2205}' => "\\emptyset ",
                '\u{2220}' => "\\angle ",
                '\u{00B0}' => "^{\\circ}",
                '\u{22A5}' => "\\perp ",
                '\u{2225}' => "\\parallel ",
                '\u{0394}' => "\\Delta ",
                '\u{03B1}' => "\\alpha ",
                '\u{03B2}' => "\\beta ",
                '\u{03B3}' => "\\gamma ",
                '\u{03B4}' => "\\delta ",
                '\u{03B5}' => "\\varepsilon ",
                '\u{03BB}' => "\\lambda ",
                '\u{03BC}' => "\\mu ",
                '\u{03C0}' => "\\pi ",
                '\u{03C1}' => "\\rho ",
                '\u{03C3}' => "\\sigma ",
                '\u{03C6}' => "\\varphi ",
                '\u{03C9}' => "\\omega ",
                '\u{03A9}' => "\\Omega ",
                '\u{03A3}' => "\\Sigma ",
                ' ' | '\u{A0}' if math => continue,
                _ => {
                    self.out.push(c);
                    continue;
                }
            };
            self.out.push_str(cmd);
        }
    }

    fn delimiter(&mut self, e: &El) {
        let pr = e.child("m:dPr");
        let beg = pr.and_then(|p| p.child_val_m("m:begChr")).unwrap_or("(");
        let end = pr.and_then(|p| p.child_val_m("m:endChr")).unwrap_or(")");
        let sep = pr.and_then(|p| p.child_val_m("m:sepChr")).unwrap_or("|");
        self.out.push_str("\\left");
        self.out.push_str(fence(beg));
        for (i, part) in e.children_named("m:e").enumerate() {
            if i > 0 {
                self.out.push_str(match sep {
                    "|" => "\\mid ",
                    s => s,
                });
            }
            self.children(part);
        }
        self.out.push_str("\\right");
        self.out.push_str(fence(end));
    }

    fn nary(&mut self, e: &El) {
        let pr = e.child("m:naryPr");
        let chr = pr
            .and_then(|p| p.child_val_m("m:chr"))
            .unwrap_or("\u{222B}");
        let cmd = match chr {
            "\u{2211}" => "\\sum",
            "\u{220F}" => "\\prod",
            "\u{222B}" => "\\int",
            "\u{222C}" => "\\iint",
            "\u{222D}" => "\\iiint",
            "\u{222E}" => "\\oint",
            "\u{22C3}" => "\\bigcup",
            "\u{22C2}" => "\\bigcap",
            _ => "\\sum",
        };
        self.out.push_str(cmd);
        let hidden = |name: &str| {
            pr.and_then(|p| p.child_val_m(name))
                .is_some_and(|v| v == "1" || v == "on" || v == "true")
        };
        if !hidden("m:subHide") && Self::has_content(e, "m:sub") {
            self.out.push('_');
            self.group(e, "m:sub");
        }
        if !hidden("m:supHide") && Self::has_content(e, "m:sup") {
            self.out.push('^');
            self.group(e, "m:sup");
        }
        self.out.push(' ');
        self.group(e, "m:e");
    }
}

fn fence(c: &str) -> &str {
    match c {
        "" => ".",
        "{" => "\\{",
        "}" => "\\}",
        "|" => "|",
        "\u{2016}" => "\\|",
        "\u{27E8}" | "\u{2329}" => "\\langle ",
        "\u{27E9}" | "\u{232A}" => "\\rangle ",
        "\u{230A}" => "\\lfloor ",
        "\u{230B}" => "\\rfloor ",
        "\u{2308}" => "\\lceil ",
        "\u{2309}" => "\\rceil ",
        "(" | ")" | "[" | "]" => c,
        _ => ".",
    }
}

fn escape_text(t: &str) -> String {
    let mut out = String::new();
    for c in t.chars() {
        match c {
            '{' | '}' | '#' | '%' | '&' | '$' | '_' => {
                out.push('\\');
                out.push(c);
            }
            '\\' => out.push_str("\\textbackslash "),
            _ => out.push(c),
        }
    }
    out
}

/// Math properties keep their value in `m:val`.
trait MathVal {
    fn child_val_m(&self, child: &str) -> Option<&str>;
}

impl MathVal for El {
    fn child_val_m(&self, child: &str) -> Option<&str> {
        self.child(child).and_then(|c| c.attr("m:val"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::import::xml::parse;

    fn latex(omml: &str) -> String {
        let xml = format!(
            r#"<m:oMath xmlns:m="http://schemas.openxmlformats.org/officeDocument/2006/math">{omml}</m:oMath>"#
        );
        let (l, unknown) = to_latex(&parse(&xml, "t").unwrap());
        assert!(unknown.is_empty(), "{unknown:?}");
        l
    }

    #[test]
    fn fractions_powers_and_roots() {
        assert_eq!(
            latex(
                "<m:f><m:num><m:r><m:t>1</m:t></m:r></m:num><m:den><m:r><m:t>5</m:t></m:r></m:den></m:f>"
            ),
            "\\frac{1}{5}"
        );
        assert_eq!(
            latex(
                "<m:sSup><m:e><m:r><m:t>x</m:t></m:r></m:e><m:sup><m:r><m:t>2</m:t></m:r></m:sup></m:sSup><m:r><m:t>+1</m:t></m:r>"
            ),
            "{x}^{2}+1"
        );
        assert_eq!(
            latex(
                "<m:rad><m:radPr><m:degHide m:val=\"1\"/></m:radPr><m:deg/><m:e><m:r><m:t>a</m:t></m:r></m:e></m:rad>"
            ),
            "\\sqrt{a}"
        );
    }

    #[test]
    fn sums_and_brackets() {
        assert_eq!(
            latex(
                "<m:nary><m:naryPr><m:chr m:val=\"∑\"/></m:naryPr><m:sub><m:r><m:t>i=1</m:t></m:r></m:sub><m:sup><m:r><m:t>n</m:t></m:r></m:sup><m:e><m:r><m:t>i</m:t></m:r></m:e></m:nary>"
            ),
            "\\sum_{i=1}^{n} {i}"
        );
        assert_eq!(
            latex(
                "<m:d><m:dPr><m:begChr m:val=\"[\"/><m:endChr m:val=\"]\"/></m:dPr><m:e><m:r><m:t>a</m:t></m:r></m:e><m:e><m:r><m:t>b</m:t></m:r></m:e></m:d>"
            ),
            "\\left[a\\mid b\\right]"
        );
    }
}
