//! `aviato-lsp check --fix`, `--diff` and `--add-noqa`, on copies in temporary
//! directories.

use crate::project::Project;

/// Two decorators missing `()` (AV102, fixable) and a `# noqa` code that names no
/// rule (AV002, fixable).
const FIXABLE: &str = "from cwsandbox import Session

with Session() as session:

    @session.function
    def double(x):
        return x * 2

    @session.function
    def triple(x):  # noqa: AV999
        return x * 3

    print(double.remote(2).result(), triple.remote(2).result())
";

const FIXED: &str = "from cwsandbox import Session

with Session() as session:

    @session.function()
    def double(x):
        return x * 2

    @session.function()
    def triple(x):
        return x * 3

    print(double.remote(2).result(), triple.remote(2).result())
";

/// One fixable function and one with a syntax error.
const BROKEN: &str = "from cwsandbox import Session

with Session() as session:

    @session.function
    def double(x):
        return x * 2

    @session.function()
    def broken(x):
        return x +

    print(double.remote(2).result())
";

fn read(project: &Project, name: &str) -> String {
    std::fs::read_to_string(project.path().join(name)).unwrap()
}

#[test]
fn fix_writes_the_safe_fixes_and_is_idempotent() {
    let project = Project::new();
    project.write("app.py", FIXABLE).write("clean.py", FIXED);
    let run = project.run(&["check", "--fix", "."]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert_eq!(read(&project, "app.py"), FIXED);
    assert_eq!(read(&project, "clean.py"), FIXED);
    assert_eq!(run.stdout.trim(), "All checks passed!");
    assert_eq!(run.stderr.trim(), "Fixed 3 diagnostics, 0 remaining.");

    let again = project.run(&["check", "--fix", "."]);
    assert_eq!(again.code, 0, "{}", again.stderr);
    assert_eq!(read(&project, "app.py"), FIXED);
    assert_eq!(again.stderr.trim(), "Fixed 0 diagnostics, 0 remaining.");
}

#[test]
fn diff_prints_the_fixes_writes_nothing_and_exits_1() {
    let project = Project::new();
    project.write("app.py", FIXABLE);
    let run = project.run(&["check", "--diff", "app.py"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(read(&project, "app.py"), FIXABLE);
    assert!(
        run.stdout.starts_with("--- a/app.py\n+++ b/app.py\n@@ "),
        "{}",
        run.stdout
    );
    for line in [
        "-    @session.function\n",
        "+    @session.function()\n",
        "-    def triple(x):  # noqa: AV999\n",
        "+    def triple(x):\n",
    ] {
        assert!(run.stdout.contains(line), "{line:?} in\n{}", run.stdout);
    }
    assert_eq!(run.stderr.trim(), "Would fix 3 diagnostics.");

    project.write("app.py", FIXED);
    let clean = project.run(&["check", "--diff", "app.py"]);
    assert_eq!(
        (clean.code, clean.stdout.as_str()),
        (0, ""),
        "{}",
        clean.stderr
    );
    assert_eq!(clean.stderr.trim(), "No fixes available.");
}

#[test]
fn a_syntax_error_elsewhere_loses_nothing() {
    let project = Project::new();
    project.write("app.py", BROKEN);
    let run = project.run(&["check", "--fix", "app.py"]);
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    assert_eq!(
        read(&project, "app.py"),
        BROKEN.replacen("@session.function\n", "@session.function()\n", 1)
    );
    assert!(run.stdout.contains("AV001"), "{}", run.stdout);
    assert_eq!(run.stderr.trim(), "Fixed 1 diagnostic, 1 remaining.");
}

#[test]
fn add_noqa_silences_every_line_once_and_merges_with_existing_comments() {
    let project = Project::new();
    project.write(
        "app.py",
        FIXABLE.replace("def double(x):", "def double(x):  # why"),
    );
    let run = project.run(&["check", "--add-noqa", "app.py"]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert_eq!(run.stderr.trim(), "Added 2 noqa directives.");
    let text = read(&project, "app.py");
    assert_eq!(
        text.matches("@session.function  # noqa: AV102\n").count(),
        2
    );
    assert!(text.contains("def double(x):  # why\n"), "{text}");
    // The unknown code is for the user to correct, not to silence.
    assert!(text.contains("def triple(x):  # noqa: AV999\n"), "{text}");

    let again = project.run(&["check", "--add-noqa", "app.py"]);
    assert_eq!(again.stderr.trim(), "Added 0 noqa directives.");
    assert_eq!(read(&project, "app.py"), text);
    let (_, diagnostics) = project.check_json(&["app.py"]);
    let codes: Vec<&str> = diagnostics
        .iter()
        .map(|d| d["code"].as_str().unwrap())
        .collect();
    assert_eq!(codes, ["AV002"]);
}

#[test]
fn add_noqa_leaves_syntax_errors_alone() {
    let project = Project::new();
    project.write("app.py", BROKEN);
    let run = project.run(&["check", "--add-noqa", "app.py"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        read(&project, "app.py"),
        BROKEN.replacen(
            "@session.function\n",
            "@session.function  # noqa: AV102\n",
            1
        )
    );
}

#[test]
fn the_modes_exclude_each_other() {
    let project = Project::new();
    project.write("app.py", FIXABLE);
    for flags in [
        ["--fix", "--diff"],
        ["--fix", "--add-noqa"],
        ["--diff", "--add-noqa"],
    ] {
        let run = project.run(&["check", flags[0], flags[1], "app.py"]);
        assert_eq!(run.code, 2, "{flags:?}");
    }
    assert_eq!(read(&project, "app.py"), FIXABLE);
}
