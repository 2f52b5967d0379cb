//! `docs/rules/` is generated from the rule pages in `src/rules/*.md`.
//!
//! This test fails when the two differ; `UPDATE_DOCS=1 cargo test -p aviato-analysis
//! --test rule_docs` rewrites `docs/rules/` instead. It also checks that every page
//! follows the common layout and that its code samples are sound.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use aviato_analysis::{Rule, Settings, Severity, check};

const UPDATE_COMMAND: &str = "UPDATE_DOCS=1 cargo test -p aviato-analysis --test rule_docs";

/// The sections every page has, in this order.
const SECTIONS: &[&str] = &[
    "## What it does",
    "## Why is this bad?",
    "## Example",
    "## Use instead",
    "## Fix",
    "## Options",
];

fn docs_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/rules")
}

/// File name -> content of everything `docs/rules/` should hold.
fn generated_docs() -> BTreeMap<String, String> {
    let mut files: BTreeMap<String, String> = Rule::ALL
        .iter()
        .map(|rule| (format!("{}.md", rule.code()), rule.doc().to_string()))
        .collect();
    files.insert("README.md".to_string(), index());
    files
}

fn index() -> String {
    let mut out = String::from(
        "# Rules\n\n\
         Each page explains what the rule checks, what each SDK generation (cwsandbox and\n\
         aviato) really does with such code, and how to fix it. `aviato-lsp rule CODE` prints the same page.\n\n\
         | code | name | default severity | summary |\n\
         |---|---|---|---|\n",
    );
    for rule in Rule::ALL {
        let code = rule.code();
        out.push_str(&format!(
            "| [{code}]({code}.md) | {} | {} | {} |\n",
            rule.name(),
            rule.default_severity().as_str(),
            summary(rule.doc()).replace('|', "\\|"),
        ));
    }
    out
}

/// The first paragraph of `## What it does`, on one line.
fn summary(doc: &str) -> String {
    section(doc, "## What it does")
        .trim_start()
        .split("\n\n")
        .next()
        .unwrap_or_default()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// The text between `heading` and the next `## ` heading.
fn section<'a>(doc: &'a str, heading: &str) -> &'a str {
    let Some(start) = doc.find(&format!("\n{heading}\n")) else {
        return "";
    };
    let body = &doc[start + heading.len() + 2..];
    body.find("\n## ").map_or(body, |end| &body[..end])
}

/// The first ```python block of a section.
fn python_block<'a>(doc: &'a str, heading: &str) -> Option<&'a str> {
    let text = section(doc, heading);
    let start = text.find("```python\n")? + "```python\n".len();
    let end = text[start..].find("```")?;
    Some(&text[start..start + end])
}

#[test]
fn docs_rules_directory_is_up_to_date() {
    let dir = docs_dir();
    let expected = generated_docs();

    if std::env::var_os("UPDATE_DOCS").is_some_and(|value| value == "1") {
        fs::create_dir_all(&dir).unwrap();
        for (name, content) in &expected {
            fs::write(dir.join(name), content).unwrap();
        }
    }

    let mut problems = Vec::new();
    for (name, content) in &expected {
        match fs::read_to_string(dir.join(name)) {
            Ok(actual) if actual == *content => {}
            Ok(_) => problems.push(format!("docs/rules/{name} differs from its source")),
            Err(error) => problems.push(format!("docs/rules/{name}: {error}")),
        }
    }
    let entries = fs::read_dir(&dir)
        .map_err(|error| format!("{}: {error}", dir.display()))
        .unwrap();
    for entry in entries {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        if !expected.contains_key(&name) {
            problems.push(format!("docs/rules/{name} belongs to no rule (remove it)"));
        }
    }
    assert!(
        problems.is_empty(),
        "docs/rules/ is out of date:\n  {}\nRegenerate it with `{UPDATE_COMMAND}` and commit the result.",
        problems.join("\n  ")
    );
}

#[test]
fn every_page_follows_the_layout() {
    let mut problems = Vec::new();
    for &rule in Rule::ALL {
        let code = rule.code();
        let doc = rule.doc();
        let title = format!("# {} ({code})\n", rule.name());
        if !doc.starts_with(&title) {
            problems.push(format!(
                "{code}: the page must start with `{}`",
                title.trim()
            ));
        }
        let severity = format!(
            "\nDefault severity: **{}**.\n",
            rule.default_severity().as_str()
        );
        if !doc.contains(&severity) {
            problems.push(format!("{code}: missing the line `{}`", severity.trim()));
        }
        let mut last = 0;
        for heading in SECTIONS {
            match doc.find(&format!("\n{heading}\n")) {
                Some(at) if at > last => last = at,
                Some(_) => problems.push(format!("{code}: `{heading}` is out of order")),
                None => problems.push(format!("{code}: missing `{heading}`")),
            }
        }
        if summary(doc).is_empty() {
            problems.push(format!("{code}: `## What it does` has no first paragraph"));
        }
        let options = section(doc, "## Options");
        for needle in [
            format!("# noqa: {code}"),
            format!("ignore = [\"{code}\"]"),
            "[tool.aviato-lsp]".to_string(),
        ] {
            if !options.contains(&needle) {
                problems.push(format!("{code}: `## Options` does not mention `{needle}`"));
            }
        }
        if doc.contains("placeholder") {
            problems.push(format!("{code}: still a placeholder"));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// The examples must be code a user could paste: the "Example" parses (except
/// for the syntax-error page), and the "Use instead" code carries no error.
#[test]
fn code_samples_parse_and_the_fixed_code_has_no_error() {
    let settings = Settings::default();
    let mut problems = Vec::new();
    for &rule in Rule::ALL {
        let code = rule.code();
        let doc = rule.doc();
        match python_block(doc, "## Example") {
            None => problems.push(format!("{code}: `## Example` has no ```python block")),
            Some(example) => {
                let syntax_errors = check(example, &settings)
                    .iter()
                    .filter(|diagnostic| diagnostic.rule == Rule::SyntaxError)
                    .count();
                let expected = usize::from(rule == Rule::SyntaxError);
                if syntax_errors != expected {
                    problems.push(format!(
                        "{code}: the example has {syntax_errors} syntax errors, expected {expected}"
                    ));
                }
            }
        }
        match python_block(doc, "## Use instead") {
            None => problems.push(format!("{code}: `## Use instead` has no ```python block")),
            Some(fixed) => {
                for diagnostic in check(fixed, &settings) {
                    if diagnostic.severity == Severity::Error {
                        problems.push(format!(
                            "{code}: the fixed code reports {}: {}",
                            diagnostic.rule, diagnostic.message
                        ));
                    }
                }
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn summary_is_the_first_paragraph_on_one_line() {
    let doc =
        "# x (AV0)\n\n## What it does\n\nChecks for\n`thing`.\n\nMore.\n\n## Why is this bad?\n";
    assert_eq!(summary(doc), "Checks for `thing`.");
    assert_eq!(summary("# x\n\n## Example\n"), "");
}
