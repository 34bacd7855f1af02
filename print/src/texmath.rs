//! The LaTeX that books write between `$` signs, as Typst math. Covers what school books use
//! (fractions, powers and indices, roots, Greek letters, relations, sums and integrals, brackets,
//! matrices, cases, text); anything else is an error, and the caller prints the LaTeX as it is.

pub fn to_typst(latex: &str) -> Result<String, String> {
    let tokens = tokenize(latex);
    let mut p = Parser { t: &tokens, i: 0 };
    let out = p.sequence(None)?;
    if p.i < tokens.len() {
        return Err("unbalanced braces".into());
    }
    Ok(out.trim().to_string())
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Cmd(String),
    Open,
    Close,
    Sup,
    Sub,
    Amp,
    Newline,
    Char(char),
}

fn tokenize(s: &str) -> Vec<Tok> {
    let mut out = Vec::new();
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                let mut name = String::new();
                while let Some(&n) = chars.peek() {
                    if n.is_ascii_alphabetic() {
                        name.push(n);
                        chars.next();
                    } else {
                        break;
                    }
                }
                if name.is_empty() {
                    match chars.next() {
                        Some('\\') => out.push(Tok::Newline),
                        Some(n) => out.push(Tok::Cmd(n.to_string())),
                        None => {}
                    }
                } else {
                    out.push(Tok::Cmd(name));
                }
            }
            '{' => out.push(Tok::Open),
            '}' => out.push(Tok::Close),
            '^' => out.push(Tok::Sup),
            '_' => out.push(Tok::Sub),
            '&' => out.push(Tok::Amp),
            c => out.push(Tok::Char(c)),
        }
    }
    out
}

struct Parser<'a> {
    t: &'a [Tok],
    i: usize,
}

fn symbol(name: &str) -> Option<&'static str> {
    Some(match name {
        "cdot" => "dot.op",
        "times" => "times",
        "div" => "div",
        "pm" => "plus.minus",
        "mp" => "minus.plus",
        "le" | "leq" | "leqslant" => "<=",
        "ge" | "geq" | "geqslant" => ">=",
        "ne" | "neq" => "!=",
        "approx" => "approx",
        "equiv" => "equiv",
        "sim" => "tilde.op",
        "infty" => "infinity",
        "to" | "rightarrow" => "->",
        "leftarrow" => "<-",
        "Rightarrow" | "implies" => "=>",
        "Leftrightarrow" | "iff" => "<=>",
        "in" => "in",
        "notin" => "in.not",
        "subset" => "subset",
        "subseteq" => "subset.eq",
        "cup" => "union",
        "cap" => "sect",
        "emptyset" | "varnothing" => "emptyset",
        "angle" => "angle",
        "circ" => "circle.small",
        "degree" => "degree",
        "perp" => "perp",
        "parallel" => "parallel",
        "triangle" => "triangle.stroked.t",
        "ldots" | "dots" => "dots",
        "cdots" => "dots.c",
        "forall" => "forall",
        "exists" => "exists",
        "neg" => "not",
        "land" | "wedge" => "and",
        "lor" | "vee" => "or",
        "partial" => "diff",
        "nabla" => "nabla",
        "prime" => "prime",
        "sum" => "sum",
        "prod" => "product",
        "int" => "integral",
        "iint" => "integral.double",
        "oint" => "integral.cont",
        "lim" => "lim",
        "sin" => "sin",
        "cos" => "cos",
        "tan" => "tan",
        "cot" => "cot",
        "log" => "log",
        "ln" => "ln",
        "lg" => "lg",
        "exp" => "exp",
        "max" => "max",
        "min" => "min",
        "det" => "det",
        "gcd" => "gcd",
        "arcsin" => "arcsin",
        "arccos" => "arccos",
        "arctan" => "arctan",
        "quad" => "quad",
        "qquad" => "wide",
        "," | ":" | ";" => "thin",
        " " => "space",
        "!" => "",
        "%" => "%",
        "{" | "lbrace" => "\\{",
        "}" | "rbrace" => "\\}",
        "|" => "||",
        "#" => "\\#",
        "&" => "&",
        "_" => "\\_",
        "langle" => "angle.l",
        "rangle" => "angle.r",
        "lfloor" => "floor.l",
        "rfloor" => "floor.r",
        "lceil" => "ceil.l",
        "rceil" => "ceil.r",
        "alpha" => "alpha",
        "beta" => "beta",
        "gamma" => "gamma",
        "delta" => "delta",
        "epsilon" | "varepsilon" => "epsilon",
        "zeta" => "zeta",
        "eta" => "eta",
        "theta" | "vartheta" => "theta",
        "iota" => "iota",
        "kappa" => "kappa",
        "lambda" => "lambda",
        "mu" => "mu",
        "nu" => "nu",
        "xi" => "xi",
        "pi" => "pi",
        "rho" => "rho",
        "sigma" => "sigma",
        "tau" => "tau",
        "upsilon" => "upsilon",
        "phi" | "varphi" => "phi",
        "chi" => "chi",
        "psi" => "psi",
        "omega" => "omega",
        "Gamma" => "Gamma",
        "Delta" => "Delta",
        "Theta" => "Theta",
        "Lambda" => "Lambda",
        "Xi" => "Xi",
        "Pi" => "Pi",
        "Sigma" => "Sigma",
        "Phi" => "Phi",
        "Psi" => "Psi",
        "Omega" => "Omega",
        _ => return None,
    })
}

fn escape_char(c: char) -> Option<String> {
    Some(match c {
        '/' => "\\/".into(),
        '#' => "\\#".into(),
        '"' => "\\\"".into(),
        '$' => "\\$".into(),
        '\\' => "\\\\".into(),
        '@' => "\\@".into(),
        '~' => " ".into(),
        '\'' => "'".into(),
        c if c.is_whitespace() => return None,
        c if c.is_alphabetic() => format!(" {c} "),
        c => c.to_string(),
    })
}

fn text_string(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

impl Parser<'_> {
    fn peek(&self) -> Option<&Tok> {
        self.t.get(self.i)
    }

    fn next(&mut self) -> Option<Tok> {
        let t = self.t.get(self.i).cloned();
        self.i += 1;
        t
    }

    /// Atoms up to the closing brace (`end` is Some(Close)) or the end, or an `\end{env}`.
    fn sequence(&mut self, end: Option<&str>) -> Result<String, String> {
        let mut out = String::new();
        while let Some(t) = self.peek() {
            match t {
                Tok::Close if end == Some("}") => break,
                Tok::Cmd(c) if c == "right" && end == Some("right") => break,
                Tok::Cmd(c) if c == "end" && end.is_some_and(|e| e.starts_with("env:")) => break,
                _ => {}
            }
            let atom = self.atom()?;
            out.push_str(&atom);
            out.push(' ');
        }
        Ok(out)
    }

    /// The argument of a command or script: a braced group or one token.
    fn argument(&mut self) -> Result<String, String> {
        match self.peek() {
            Some(Tok::Open) => {
                self.next();
                let inner = self.sequence(Some("}"))?;
                match self.next() {
                    Some(Tok::Close) => Ok(inner.trim().to_string()),
                    _ => Err("a group is not closed".into()),
                }
            }
            Some(_) => self.atom(),
            None => Err("a command has no argument".into()),
        }
    }

    fn raw_argument(&mut self) -> Result<String, String> {
        if self.next() != Some(Tok::Open) {
            return Err("expected {".into());
        }
        let mut depth = 1;
        let mut s = String::new();
        while let Some(t) = self.next() {
            match t {
                Tok::Open => {
                    depth += 1;
                    s.push('{');
                }
                Tok::Close => {
                    depth -= 1;
                    if depth == 0 {
                        return Ok(s);
                    }
                    s.push('}');
                }
                Tok::Char(c) => s.push(c),
                Tok::Cmd(c) => {
                    s.push('\\');
                    s.push_str(&c);
                }
                Tok::Sup => s.push('^'),
                Tok::Sub => s.push('_'),
                Tok::Amp => s.push('&'),
                Tok::Newline => s.push_str("\\\\"),
            }
        }
        Err("a group is not closed".into())
    }

    fn atom(&mut self) -> Result<String, String> {
        let Some(t) = self.next() else {
            return Ok(String::new());
        };
        match t {
            Tok::Open => {
                let inner = self.sequence(Some("}"))?;
                self.next();
                Ok(inner)
            }
            Tok::Close => Err("a } without its {".into()),
            Tok::Sup | Tok::Sub => {
                let op = if t == Tok::Sup { '^' } else { '_' };
                let arg = self.argument()?;
                Ok(format!("{op}({})", arg.trim()))
            }
            Tok::Amp => Ok("&".into()),
            Tok::Newline => Ok("\\ ".into()),
            Tok::Char(c) => Ok(escape_char(c).unwrap_or_default()),
            Tok::Cmd(name) => self.command(&name),
        }
    }

    fn command(&mut self, name: &str) -> Result<String, String> {
        if let Some(s) = symbol(name) {
            return Ok(s.to_string());
        }
        Ok(match name {
            "frac" | "dfrac" | "tfrac" | "cfrac" => {
                let a = self.argument()?;
                let b = self.argument()?;
                format!("({a})/({b})")
            }
            "binom" => {
                let a = self.argument()?;
                let b = self.argument()?;
                format!("binom({a}, {b})")
            }
            "sqrt" => {
                let index = if self.peek() == Some(&Tok::Char('[')) {
                    self.next();
                    let mut s = String::new();
                    while let Some(t) = self.peek() {
                        if *t == Tok::Char(']') {
                            break;
                        }
                        s.push_str(&self.atom()?);
                    }
                    self.next();
                    Some(s)
                } else {
                    None
                };
                let x = self.argument()?;
                match index {
                    Some(n) => format!("root({}, {x})", n.trim()),
                    None => format!("sqrt({x})"),
                }
            }
            "text" | "textrm" | "mathrm" | "mbox" | "textit" | "operatorname" | "textbf" => {
                let raw = self.raw_argument()?;
                let s = text_string(&raw);
                match name {
                    "mathrm" | "operatorname" => format!("upright({s})"),
                    "textbf" => format!("bold({s})"),
                    _ => s,
                }
            }
            "mathbf" | "boldsymbol" => format!("bold({})", self.argument()?),
            "mathit" => format!("italic({})", self.argument()?),
            "mathbb" => {
                let a = self.argument()?;
                match a.trim() {
                    "N" => "NN".into(),
                    "Z" => "ZZ".into(),
                    "Q" => "QQ".into(),
                    "R" => "RR".into(),
                    "C" => "CC".into(),
                    other => format!("bb({other})"),
                }
            }
            "overline" | "bar" => format!("overline({})", self.argument()?),
            "underline" => format!("underline({})", self.argument()?),
            "hat" | "widehat" => format!("hat({})", self.argument()?),
            "vec" | "overrightarrow" => format!("arrow({})", self.argument()?),
            "dot" => format!("dot({})", self.argument()?),
            "ddot" => format!("dot.double({})", self.argument()?),
            "tilde" | "widetilde" => format!("tilde({})", self.argument()?),
            "overbrace" => format!("overbrace({})", self.argument()?),
            "underbrace" => format!("underbrace({})", self.argument()?),
            "boxed" | "displaystyle" | "textstyle" | "limits" | "nolimits" => {
                if matches!(name, "boxed") {
                    self.argument()?
                } else {
                    String::new()
                }
            }
            "color" | "textcolor" => {
                self.raw_argument()?;
                if name == "textcolor" {
                    self.argument()?
                } else {
                    String::new()
                }
            }
            "left" | "right" | "bigl" | "bigr" | "Bigl" | "Bigr" | "big" | "Big" => {
                match self.next() {
                    Some(Tok::Char('.')) => String::new(),
                    Some(Tok::Char(c)) => escape_char(c).unwrap_or_default(),
                    Some(Tok::Cmd(c)) => symbol(&c).unwrap_or("").to_string(),
                    _ => return Err("\\left without a bracket".into()),
                }
            }
            "begin" => {
                let env = self.raw_argument()?;
                if env == "array" {
                    self.raw_argument()?;
                }
                let body = self.sequence(Some("env:"))?;
                // \end{env}
                self.next();
                self.raw_argument()?;
                let rows = body.split("\\ ").map(str::trim).filter(|r| !r.is_empty());
                match env.as_str() {
                    "matrix" | "pmatrix" | "bmatrix" | "vmatrix" | "Bmatrix" | "array" => {
                        let delim = match env.as_str() {
                            "pmatrix" => "\"(\"",
                            "bmatrix" => "\"[\"",
                            "vmatrix" => "\"|\"",
                            "Bmatrix" => "\"{\"",
                            _ => "#none",
                        };
                        let rows: Vec<String> = rows.map(|r| r.replace('&', ",")).collect();
                        format!("mat(delim: {delim}, {})", rows.join("; "))
                    }
                    "cases" => {
                        let rows: Vec<String> = rows.map(str::to_string).collect();
                        format!("cases({})", rows.join(", "))
                    }
                    "aligned" | "align" | "align*" | "gathered" | "split" | "alignedat" => {
                        body.to_string()
                    }
                    other => return Err(format!("environment {other}")),
                }
            }
            other => return Err(format!("\\{other}")),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> String {
        to_typst(s)
            .unwrap()
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
    }

    #[test]
    fn school_formulas() {
        assert_eq!(t(r"\frac{1}{4}"), "(1)/(4)");
        assert_eq!(t(r"x^{2}+1"), "x ^(2) + 1");
        assert_eq!(t(r"\sqrt{a^2+b^2}"), "sqrt(a ^(2) + b ^(2))");
        assert_eq!(t(r"\sqrt[3]{8}=2"), "root(3, 8) = 2");
        assert_eq!(t(r"a \cdot b \le c"), "a dot.op b <= c");
        assert_eq!(t(r"\text{см}^2"), "\"см\" ^(2)");
        assert_eq!(t(r"\left( \frac{a}{b} \right)"), "( (a)/(b) )");
        assert_eq!(
            t(r"\begin{pmatrix} 1 & 2 \\ 3 & 4 \end{pmatrix}"),
            "mat(delim: \"(\", 1 , 2; 3 , 4)"
        );
        assert!(to_typst(r"\unknowncommand").is_err());
    }
}
