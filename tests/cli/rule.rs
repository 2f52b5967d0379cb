//! `aviato-lsp rule`.

use aviato_analysis::Rule;

use crate::project::Project;

#[test]
fn prints_a_rules_documentation_by_code_or_name() {
    let project = Project::new();
    for query in ["AV001", "av001", "syntax-error"] {
        let run = project.run(&["rule", query]);
        assert_eq!(run.code, 0, "{query}: {}", run.stderr);
        assert_eq!(run.stdout, Rule::SyntaxError.doc(), "{query}");
    }
}

#[test]
fn unknown_rule_is_a_usage_error() {
    let project = Project::new();
    let run = project.run(&["rule", "AV999"]);
    assert_eq!(run.code, 2);
    assert!(run.stdout.is_empty());
    assert!(
        run.stderr.contains("unknown rule `AV999`"),
        "{}",
        run.stderr
    );
    assert_eq!(project.run(&["rule"]).code, 2);
}

#[test]
fn all_lists_every_rule_with_name_and_severity() {
    let project = Project::new();
    let run = project.run(&["rule", "--all"]);
    assert_eq!(run.code, 0);
    let rows: Vec<Vec<&str>> = run
        .stdout
        .lines()
        .map(|line| line.split_whitespace().collect())
        .collect();
    let expected: Vec<Vec<&str>> = Rule::ALL
        .iter()
        .map(|rule| vec![rule.code(), rule.name(), rule.default_severity().as_str()])
        .collect();
    assert_eq!(rows, expected);
}
