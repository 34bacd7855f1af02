//! LaTeX math to MathML, with a text alternative; bad math is reported and shown as source.

use crate::doc::escaped;
use math_core::{LatexToMathML, MathCoreConfig, MathDisplay};
use std::sync::OnceLock;

/// Longer formulas are refused: they are almost certainly a mistake (an unclosed `$`).
const MAX_LATEX_CHARS: usize = 5_000;

fn converter() -> &'static LatexToMathML {
    static CONVERTER: OnceLock<LatexToMathML> = OnceLock::new();
    CONVERTER.get_or_init(|| {
        let config = MathCoreConfig {
            xml_namespace: true,
            annotation: false,
            ..Default::default()
        };
        LatexToMathML::new(config).unwrap_or_else(|_| {
            LatexToMathML::new(MathCoreConfig::default()).expect("default config has no macros")
        })
    })
}

/// Converts `latex` to a `<math>` element carrying `alttext` (read by screen readers).
pub fn to_mathml(latex: &str, display: bool) -> Result<String, String> {
    let latex = latex.trim();
    if latex.chars().count() > MAX_LATEX_CHARS {
        return Err(format!(
            "formula is longer than {MAX_LATEX_CHARS} characters (is a '$' left unclosed?)"
        ));
    }
    let mode = if display {
        MathDisplay::Block
    } else {
        MathDisplay::Inline
    };
    let result = std::panic::catch_unwind(|| {
        converter()
            .convert_with_local_state(latex, mode)
            .map(|r| r.mathml)
            .map_err(|e| e.to_string())
    });
    let mathml = match result {
        Ok(Ok(m)) => m,
        Ok(Err(e)) => return Err(format!("invalid math '{}': {e}", shorten(latex))),
        Err(_) => {
            return Err(format!(
                "invalid math '{}': the converter failed",
                shorten(latex)
            ));
        }
    };
    let Some(rest) = mathml.strip_prefix("<math") else {
        return Err(format!("invalid math '{}'", shorten(latex)));
    };
    Ok(format!("<math alttext=\"{}\"{rest}", escaped(latex)))
}

fn shorten(s: &str) -> String {
    if s.chars().count() > 60 {
        format!("{}…", s.chars().take(60).collect::<String>())
    } else {
        s.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fractions_become_mathml_with_alttext() {
        let m = to_mathml(r"\frac{1}{2} + \frac{1}{4}", false).unwrap();
        assert!(m.starts_with("<math alttext=\"\\frac{1}{2} + \\frac{1}{4}\" xmlns=\"http://www.w3.org/1998/Math/MathML\""), "{m}");
        assert!(m.contains("<mfrac>"));
        assert!(
            to_mathml("x^2", true)
                .unwrap()
                .contains("display=\"block\"")
        );
    }

    #[test]
    fn dangerous_or_broken_math_is_an_error() {
        for bad in [
            r"\href{javascript:alert(1)}{x}",
            r"\includegraphics{http://evil}",
            r"\frac{1}{",
            r"\htmlClass{x}{y}",
        ] {
            assert!(to_mathml(bad, false).is_err(), "{bad}");
        }
        assert!(to_mathml(&"x+".repeat(4000), false).is_err());
    }
}
