//! `--output-format github`: GitHub Actions workflow commands, which the runner
//! turns into annotations on the pull request.

use std::io::{self, Write};

use aviato_analysis::Severity;

use crate::check::Report;

pub(crate) fn write(out: &mut dyn Write, report: &Report) -> io::Result<()> {
    for file in &report.files {
        let path = escape_property(&file.path.to_string_lossy());
        for diagnostic in &file.diagnostics {
            let command = match diagnostic.severity {
                Severity::Error => "error",
                Severity::Warning => "warning",
                Severity::Information | Severity::Hint => "notice",
            };
            let (start, end) = file.positions(diagnostic.range);
            writeln!(
                out,
                "::{command} file={path},line={},col={},endLine={},endColumn={},title={}::{}",
                start.line,
                start.column,
                end.line,
                end.column,
                diagnostic.rule.code(),
                escape_data(&diagnostic.message),
            )?;
        }
    }
    Ok(())
}

/// The message after `::`.
fn escape_data(text: &str) -> String {
    text.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// A `key=value` property, where `:` and `,` are delimiters too.
fn escape_property(text: &str) -> String {
    escape_data(text).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_per_github_rules() {
        assert_eq!(
            escape_data("50% of a\r\nb: c, d"),
            "50%25 of a%0D%0Ab: c, d"
        );
        assert_eq!(escape_property("a:b,c%\n"), "a%3Ab%2Cc%25%0A");
    }
}
