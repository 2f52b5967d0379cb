//! What a new user meets on the command line: the value on a line of its own,
//! output that was cut said so, usage errors that tell what to type, `# noqa`
//! codes that name no rule, a bare `aviato-lsp` that says what it waits for, no
//! colour codes in a pipe, and a help line for every flag.

use std::io::Write;
use std::process::{Command, Stdio};

use crate::project::{Project, summarize};

const APP: &str = r#"import asyncio

from aviato import Sandbox


async def main(path):
    async with Sandbox.session() as session:

        @session.function()
        def shout(text):
            print(text, end="")
            return text.upper()

        @session.function()
        def scale(values: list[float], factor: float) -> list[float]:
            return [value * factor for value in values]

        @session.function()
        def head(text: str, *, lines: int):
            return text.splitlines()[:lines]

        @session.function()
        def greet(name="world"):
            return f"hello {name}"

        @session.function()
        def tagged(x: int):
            return (x, path)

        @session.function()
        def flood():
            print("x" * (2 * 1024 * 1024))

        print(await shout("hi"))
        print(await head(open(path).read(), lines=2))


asyncio.run(main("data.txt"))
"#;

fn project() -> Project {
    let project = Project::new();
    project.write("app.py", APP);
    project
}

#[test]
fn the_value_starts_a_line_of_its_own() {
    let run = project().run(&["run", "app.py", "--function", "shout"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stdout, "hi\n'HI'\n");
}

#[test]
fn cut_output_is_said() {
    let run = project().run(&["run", "app.py", "--function", "flood"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("(stdout was cut at 1024 KiB: the rest was dropped)"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_function_needing_arguments_no_call_passes_is_a_usage_error_with_an_example() {
    let project = project();
    let run = project.run(&["run", "app.py", "--function", "scale"]);
    assert_eq!(run.code, 2, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stderr.contains(
            "`scale(values: list[float], factor: float)` needs arguments and the file never calls it; \
             pass them with --args, e.g. --args '[1.0], 1.0'"
        ),
        "{}",
        run.stderr
    );
    let example = project.run(&[
        "run",
        "app.py",
        "--function",
        "scale",
        "--args",
        "[1.0], 1.0",
    ]);
    assert_eq!(example.code, 0, "{}", example.stderr);
    assert_eq!(example.stdout.trim(), "[1.0]");

    let call = APP
        .lines()
        .position(|line| line.contains("await head("))
        .unwrap()
        + 1;
    let run = project.run(&["run", "app.py", "--function", "head"]);
    assert_eq!(run.code, 2, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stderr
            .contains(&format!("the call at line {call} is not static"))
            && run.stderr.contains("--args '\"text\", lines=1'"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_closure_over_a_parameter_the_file_passes_once_needs_only_arguments() {
    // `main("data.txt")` is the one call of `main`: `path` is static, so only the
    // arguments of `tagged` are missing, and the usage error says what to type.
    let run = project().run(&["run", "app.py", "--function", "tagged"]);
    assert_eq!(run.code, 2, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stderr.contains("needs arguments") && run.stderr.contains("--args '1'"),
        "{}",
        run.stderr
    );
}

#[test]
fn defaults_are_enough_without_a_call() {
    let run = project().run(&["run", "app.py", "--function", "greet"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stdout.trim(), "'hello world'");
}

#[test]
fn memory_below_what_python_needs_is_a_usage_error() {
    let run = project().run(&["run", "app.py", "--function", "shout", "--memory-mb", "16"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("give at least --memory-mb 32"),
        "{}",
        run.stderr
    );
    let run = project().run(&["run", "app.py", "--function", "shout", "--memory-mb", "32"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
}

#[test]
fn no_such_file_reads_the_same_for_every_command() {
    let project = project();
    let check = project.run(&["check", "absent.py"]);
    let run = project.run(&["run", "absent.py", "--function", "shout"]);
    assert_eq!((check.code, run.code), (2, 2));
    assert!(
        check
            .stderr
            .contains("error: absent.py: no such file or directory"),
        "{}",
        check.stderr
    );
    assert!(
        run.stderr
            .contains("error: absent.py: no such file or directory"),
        "{}",
        run.stderr
    );
}

#[test]
fn rule_without_a_code_mentions_all() {
    let run = project().run(&["rule"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("aviato-lsp rule --all"),
        "{}",
        run.stderr
    );
}

#[test]
fn noqa_codes_that_name_no_rule_are_reported() {
    let project = Project::new();
    project.write(
        "app.py",
        "import math  # noqa: AV201, AV999, F821\nx = 1  # noqa: AV201\n",
    );
    let (run, diagnostics) = project.check_json(&["app.py"]);
    // Warnings: the exit status does not change.
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    // AV201 names a rule, which reports nothing here (AV003).
    let expected = [("AV003", 1), ("AV002", 1), ("AV003", 2)]
        .map(|(code, line)| ("app.py".to_string(), code.to_string(), line));
    assert_eq!(summarize(&diagnostics), expected);
    assert_eq!(diagnostics[1]["range"]["start"]["column"], 29);
    assert_eq!(
        diagnostics[1]["message"],
        "`# noqa: AV999` names no aviato-lsp rule and suppresses nothing"
    );
}

#[test]
fn no_colour_codes_when_the_output_is_not_a_terminal() {
    let project = project();
    project.write("bad.py", "import math\n\ndef f(:\n");
    for args in [
        &["check", "bad.py"][..],
        &["run", "app.py", "--function", "shout"],
        &["--help"],
    ] {
        let output = Command::new(env!("CARGO_BIN_EXE_aviato-lsp"))
            .args(args)
            .current_dir(project.path())
            .env_remove("NO_COLOR")
            .env_remove("CLICOLOR_FORCE")
            .output()
            .unwrap();
        for stream in [&output.stdout, &output.stderr] {
            assert!(
                !stream.contains(&0x1b),
                "{args:?}: {}",
                String::from_utf8_lossy(stream)
            );
        }
    }
}

#[test]
fn a_bare_server_on_a_pipe_says_nothing_and_serves() {
    // Only a terminal gets the notice; an editor's pipe gets the protocol alone.
    let mut child = Command::new(env!("CARGO_BIN_EXE_aviato-lsp"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdin.take());
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!stderr.contains("waiting for an LSP client"), "{stderr}");
    assert!(
        !stderr.contains("INFO"),
        "routine lines at the default level: {stderr}"
    );
}

#[test]
fn a_bare_server_on_a_terminal_says_it_waits_for_a_client() {
    // `script` gives the server a terminal for stdin, as a person typing it would.
    if Command::new("script").arg("--version").output().is_err() {
        eprintln!("script(1) is not installed: skipped");
        return;
    }
    let bin = env!("CARGO_BIN_EXE_aviato-lsp");
    let mut child = Command::new("script")
        .args(["-qec", &format!("timeout 5 {bin}"), "/dev/null"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // End of input on the terminal: the server stops.
    child.stdin.as_mut().unwrap().write_all(b"\x04").unwrap();
    let output = child.wait_with_output().unwrap();
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(
        text.contains("waiting for an LSP client") && text.contains("aviato-lsp --help"),
        "{text}"
    );
}

#[test]
fn every_flag_of_every_command_has_a_help_line() {
    let project = Project::new();
    for command in ["check", "run", "rule", "sandbox-server", "server"] {
        let run = project.run(&[command, "--help"]);
        assert_eq!(run.code, 0, "{command}: {}", run.stderr);
        let lines: Vec<&str> = run.stdout.lines().collect();
        for (index, line) in lines.iter().enumerate() {
            let trimmed = line.trim_start();
            if !trimmed.starts_with("--") && !trimmed.starts_with("-h") {
                continue;
            }
            // Long help puts the description on the next line, indented further.
            let described = line.trim_end().contains("  ") && trimmed.split("  ").count() > 1
                || lines.get(index + 1).is_some_and(|next| {
                    let next = next.trim();
                    !next.is_empty() && !next.starts_with('[') && !next.starts_with("--")
                });
            assert!(
                described,
                "`aviato-lsp {command} --help`: no help for {trimmed}\n{}",
                run.stdout
            );
        }
    }
}
