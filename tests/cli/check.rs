//! `aviato-lsp check`: output formats, exit codes, file discovery, settings, bad input.

use crate::project::{Project, summarize};

/// One syntax error, at the `:` (column 7): `Expected a parameter...`.
const ONE_ERROR: &str = "def f(:\n    pass\n";
const CLEAN: &str = "def f(x):\n    return x\n";

fn column_of(line: &str, needle: &str) -> u64 {
    let byte = line.find(needle).unwrap();
    line[..byte].chars().count() as u64 + 1
}

mod output_formats {
    use super::*;

    #[test]
    fn text_has_location_code_message_excerpt_and_summary() {
        let project = Project::new();
        project.write("app.py", ONE_ERROR);
        let (_, diagnostics) = project.check_json(&["app.py"]);
        let run = project.run(&["check", "app.py"]);
        assert_eq!(run.code, 1, "{}", run.stderr);

        let column = column_of("def f(:", ":");
        let first = &diagnostics[0];
        let header = format!(
            "app.py:1:{column}: AV001 {}",
            first["message"].as_str().unwrap()
        );
        let lines: Vec<&str> = run.stdout.lines().collect();
        assert_eq!(lines[0], header);
        assert_eq!(lines[1], "  |");
        assert_eq!(lines[2], "1 | def f(:");
        // The caret sits under the `:`, in the same column as in the source line.
        let caret_line = lines[3];
        assert_eq!(caret_line.find('^'), lines[2].find(':'));
        assert!(caret_line.ends_with("^ AV001"), "{caret_line}");
        // The line after the error is shown as context.
        assert_eq!(lines[4], "2 |     pass");

        // Every diagnostic has its header line, and the summary counts them all.
        for diagnostic in &diagnostics {
            let start = &diagnostic["range"]["start"];
            let header = format!(
                "app.py:{}:{}: AV001 {}",
                start["line"],
                start["column"],
                diagnostic["message"].as_str().unwrap()
            );
            assert!(run.stdout.contains(&header), "{header} in\n{}", run.stdout);
        }
        let summary = match diagnostics.len() {
            1 => "Found 1 error.".to_string(),
            n => format!("Found {n} errors."),
        };
        assert_eq!(run.stdout.lines().last(), Some(summary.as_str()));
    }

    #[test]
    fn text_expands_tabs_and_underlines_after_multibyte_characters() {
        let project = Project::new();
        let line = "\tx = \"日本語\" )";
        project.write("app.py", format!("if True:\n{line}\n"));
        let run = project.run(&["check", "app.py"]);
        let lines: Vec<&str> = run.stdout.lines().collect();
        let source = lines.iter().position(|l| l.starts_with("2 | ")).unwrap();
        assert_eq!(lines[source], "2 |     x = \"日本語\" )");
        assert_eq!(
            lines[source + 1]
                .find('^')
                .map(|i| lines[source + 1][..i].chars().count()),
            lines[source]
                .find(')')
                .map(|i| lines[source][..i].chars().count())
        );
    }

    #[test]
    fn text_context_keeps_inner_blank_lines_and_drops_outer_ones() {
        let project = Project::new();
        project
            .write("inner.py", "import math\n\ndef area(r)\n    return 1\n\n\n")
            .write("outer.py", "\n\nx = )\n\n");
        let run = project.run(&["check", "inner.py"]);
        let lines: Vec<&str> = run.stdout.lines().collect();
        assert_eq!(lines[1..4], ["  |", "1 | import math", "2 |"]);
        assert_eq!(lines[4], "3 | def area(r)");
        assert_eq!(lines[6..8], ["4 |     return 1", "  |"]);

        let run = project.run(&["check", "outer.py"]);
        let lines: Vec<&str> = run.stdout.lines().collect();
        assert_eq!(lines[1..3], ["  |", "3 | x = )"]);
        assert_eq!(lines[4], "  |");
    }

    #[test]
    fn clean_text_says_all_checks_passed() {
        let project = Project::new();
        project.write("app.py", CLEAN);
        let run = project.run(&["check"]);
        assert_eq!(run.code, 0, "{}", run.stderr);
        assert_eq!(run.stdout, "All checks passed!\n");
        assert_eq!(run.stderr, "");
    }

    #[test]
    fn json_has_the_documented_fields_and_character_columns() {
        let project = Project::new();
        let line = "z = \"日本語\" )";
        project.write("pkg/app.py", format!("x = 1\n{line}\n"));
        let (run, diagnostics) = project.check_json(&["pkg"]);
        assert_eq!(run.code, 1);
        assert!(!diagnostics.is_empty());
        let first = &diagnostics[0];
        let mut keys: Vec<&str> = first
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        keys.sort_unstable();
        assert_eq!(
            keys,
            [
                "code", "file", "fix", "function", "message", "range", "related", "severity"
            ]
        );
        assert_eq!(first["code"], "AV001");
        assert_eq!(first["severity"], "error");
        assert_eq!(first["file"], "pkg/app.py");
        assert!(
            first["message"]
                .as_str()
                .unwrap()
                .starts_with("SyntaxError")
        );
        assert_eq!(first["function"], serde_json::Value::Null);
        assert_eq!(first["fix"], serde_json::Value::Null);
        assert_eq!(first["related"], serde_json::json!([]));
        // Columns count characters, not bytes: `)` is the 11th character, 17th byte.
        let column = column_of(line, ")");
        assert_eq!(column, 11);
        assert_eq!(
            first["range"],
            serde_json::json!({
                "start": {"line": 2, "column": column},
                "end": {"line": 2, "column": column + 1},
            })
        );
    }

    #[test]
    fn json_of_clean_files_is_an_empty_array() {
        let project = Project::new();
        project.write("app.py", CLEAN);
        let (run, diagnostics) = project.check_json(&[]);
        assert_eq!(run.code, 0);
        assert!(diagnostics.is_empty());
    }

    #[test]
    fn github_annotations_with_levels_and_escaped_properties() {
        let project = Project::new();
        project.write("a,b.py", ONE_ERROR);
        let (_, diagnostics) = project.check_json(&["a,b.py"]);
        let run = project.run(&["check", "--output-format", "github", "a,b.py"]);
        assert_eq!(run.code, 1);
        let lines: Vec<&str> = run.stdout.lines().collect();
        assert_eq!(lines.len(), diagnostics.len());
        for (line, diagnostic) in lines.iter().zip(&diagnostics) {
            let range = &diagnostic["range"];
            let expected = format!(
                "::error file=a%2Cb.py,line={},col={},endLine={},endColumn={},title=AV001::{}",
                range["start"]["line"],
                range["start"]["column"],
                range["end"]["line"],
                range["end"]["column"],
                diagnostic["message"].as_str().unwrap().replace('%', "%25"),
            );
            assert_eq!(*line, expected);
        }

        project.write(
            "pyproject.toml",
            "[tool.aviato-lsp]\nseverity = { AV001 = \"warning\" }\n",
        );
        let run = project.run(&["check", "--output-format", "github", "a,b.py"]);
        assert_eq!(run.code, 0);
        assert!(
            run.stdout.starts_with("::warning file=a%2Cb.py,"),
            "{}",
            run.stdout
        );
        project.write(
            "pyproject.toml",
            "[tool.aviato-lsp]\nseverity = { AV001 = \"hint\" }\n",
        );
        let run = project.run(&["check", "--output-format", "github", "a,b.py"]);
        assert!(
            run.stdout.starts_with("::notice file=a%2Cb.py,"),
            "{}",
            run.stdout
        );
    }
}

mod exit_codes {
    use super::*;

    #[test]
    fn zero_when_clean_one_on_errors() {
        let project = Project::new();
        project
            .write("clean.py", CLEAN)
            .write("broken.py", ONE_ERROR);
        assert_eq!(project.run(&["check", "clean.py"]).code, 0);
        assert_eq!(project.run(&["check", "broken.py"]).code, 1);
        assert_eq!(project.run(&["check"]).code, 1);
    }

    #[test]
    fn two_on_usage_errors() {
        let project = Project::new();
        project.write("clean.py", CLEAN);
        for args in [
            &["check", "--no-such-flag"][..],
            &["check", "--output-format", "xml"],
            &["check", "--select", "AV999"],
            &["check", "--ignore", "not-a-rule"],
            &["check", "--config", "missing.toml"],
            &["no-such-command"],
        ] {
            let run = project.run(args);
            assert_eq!(run.code, 2, "{args:?}: {}", run.stderr);
            assert!(run.stdout.is_empty(), "{args:?}: {}", run.stdout);
            assert!(run.stderr.contains("error"), "{args:?}: {}", run.stderr);
        }
    }

    #[test]
    fn warnings_alone_exit_zero() {
        let project = Project::new();
        project.write("broken.py", ONE_ERROR).write(
            "pyproject.toml",
            "[tool.aviato-lsp]\nseverity = { AV001 = \"warning\" }\n",
        );
        let run = project.run(&["check"]);
        assert_eq!(run.code, 0, "{}", run.stdout);
        let (_, diagnostics) = project.check_json(&[]);
        assert!(!diagnostics.is_empty());
        assert!(diagnostics.iter().all(|d| d["severity"] == "warning"));
        let summary = match diagnostics.len() {
            1 => "Found 1 warning.".to_string(),
            n => format!("Found {n} warnings."),
        };
        assert_eq!(run.stdout.lines().last(), Some(summary.as_str()));
    }
}

mod discovery {
    use super::*;

    #[test]
    fn directory_walk_honours_gitignore_outside_git_repositories() {
        let project = Project::new();
        project
            .write(".gitignore", "generated/\nscratch.py\n")
            .write("src/app.py", ONE_ERROR)
            .write("src/scratch.py", ONE_ERROR)
            .write("generated/out.py", ONE_ERROR)
            .write("src/.ignore", "local.py\n")
            .write("src/local.py", ONE_ERROR);
        assert!(!project.path().join(".git").exists());
        let (_, diagnostics) = project.check_json(&[]);
        let files: Vec<String> = summarize(&diagnostics).into_iter().map(|d| d.0).collect();
        assert!(files.iter().all(|file| file == "src/app.py"), "{files:?}");
        assert!(!files.is_empty());

        // In a git repository too.
        std::fs::create_dir(project.path().join(".git")).unwrap();
        let (_, again) = project.check_json(&[]);
        assert_eq!(summarize(&again), summarize(&diagnostics));
    }

    #[test]
    fn named_files_are_checked_even_when_ignored_or_not_python() {
        let project = Project::new();
        project
            .write(".gitignore", "scratch.py\n")
            .write("scratch.py", ONE_ERROR)
            .write("notes.txt", ONE_ERROR)
            .write("stub.pyi", ONE_ERROR);
        let walked = project.check_json(&["."]).1;
        let files: Vec<String> = summarize(&walked).into_iter().map(|d| d.0).collect();
        assert!(files.iter().all(|file| file == "stub.pyi"), "{files:?}");
        assert!(!files.is_empty());

        let named = project.check_json(&["scratch.py", "notes.txt"]).1;
        let mut files: Vec<String> = summarize(&named).into_iter().map(|d| d.0).collect();
        files.dedup();
        assert_eq!(files, ["notes.txt", "scratch.py"]);
    }

    #[test]
    fn hidden_directories_and_virtual_environments_are_skipped() {
        let project = Project::new();
        project
            .write("env/pyvenv.cfg", "home = /usr/bin\n")
            .write("env/lib/python3.13/site-packages/old.py", ONE_ERROR)
            .write(".cache/x.py", ONE_ERROR)
            .write("app.py", CLEAN);
        let run = project.run(&["check"]);
        assert_eq!(run.code, 0, "{}", run.stdout);
        assert_eq!(run.stdout, "All checks passed!\n");
    }

    #[test]
    fn output_is_sorted_by_path_and_files_are_checked_once() {
        let project = Project::new();
        let names: Vec<String> = (0..24)
            .map(|i| format!("{}/m{:02}.py", ["b", "a", "c"][i % 3], 23 - i))
            .collect();
        for name in &names {
            project.write(name, ONE_ERROR);
        }
        let (_, diagnostics) = project.check_json(&[".", "a", "./b/m01.py"]);
        let mut files: Vec<String> = summarize(&diagnostics).into_iter().map(|d| d.0).collect();
        files.dedup();
        let mut expected = names.clone();
        expected.sort();
        assert_eq!(files, expected);
    }

    #[test]
    fn empty_directory_warns_and_passes() {
        let project = Project::new();
        project.write("README.md", "# nothing to check\n");
        let run = project.run(&["check"]);
        assert_eq!(run.code, 0);
        assert!(run.stderr.starts_with("warning: "), "{}", run.stderr);
    }
}

mod settings {
    use super::*;

    #[test]
    fn nearest_pyproject_with_a_table_applies() {
        let project = Project::new();
        project
            .write(
                "pyproject.toml",
                "[tool.aviato-lsp]\nignore = [\"AV001\"]\n",
            )
            .write("top.py", ONE_ERROR)
            // No `[tool.aviato-lsp]` table: the root's settings still apply.
            .write("lib/pyproject.toml", "[tool.ruff]\nline-length = 100\n")
            .write("lib/mod.py", ONE_ERROR)
            // Its own table: AV001 is back.
            .write(
                "svc/pyproject.toml",
                "[tool.aviato-lsp]\nselect = [\"AV0\"]\n",
            )
            .write("svc/main.py", ONE_ERROR);
        let (run, diagnostics) = project.check_json(&[]);
        assert_eq!(run.code, 1);
        let files: Vec<String> = summarize(&diagnostics).into_iter().map(|d| d.0).collect();
        assert!(files.iter().all(|file| file == "svc/main.py"), "{files:?}");
        assert!(!files.is_empty());

        // Checking from inside a subdirectory finds the same settings.
        let run = project.run(&["check", "lib/mod.py"]);
        assert_eq!(run.code, 0, "{}", run.stdout);
    }

    #[test]
    fn select_and_ignore_flags_override_the_configuration() {
        let project = Project::new();
        project
            .write(
                "pyproject.toml",
                "[tool.aviato-lsp]\nignore = [\"AV001\"]\n",
            )
            .write("app.py", ONE_ERROR);
        assert_eq!(project.run(&["check"]).code, 0);
        // `--select` replaces the configuration's selection, ignores included.
        assert_eq!(project.run(&["check", "--select", "AV001"]).code, 1);
        assert_eq!(
            project.run(&["check", "--select", "syntax-error,AV2"]).code,
            1
        );
        // `--ignore` adds to it.
        assert_eq!(
            project
                .run(&["check", "--select", "AV0", "--ignore", "AV001"])
                .code,
            0
        );
        std::fs::remove_file(project.path().join("pyproject.toml")).unwrap();
        assert_eq!(project.run(&["check"]).code, 1);
        assert_eq!(project.run(&["check", "--ignore", "AV001"]).code, 0);
    }

    #[test]
    fn config_flag_replaces_discovery() {
        let project = Project::new();
        project
            .write(
                "pyproject.toml",
                "[tool.aviato-lsp]\nignore = [\"AV001\"]\n",
            )
            .write(
                "ci/strict.toml",
                "[tool.aviato-lsp]\nseverity = { AV001 = \"error\" }\n",
            )
            .write("ci/none.toml", "[tool.other]\n")
            .write("app.py", ONE_ERROR);
        assert_eq!(project.run(&["check"]).code, 0);
        assert_eq!(
            project.run(&["check", "--config", "ci/strict.toml"]).code,
            1
        );
        let run = project.run(&["check", "--config", "ci/none.toml"]);
        assert_eq!(run.code, 2);
        assert!(run.stderr.contains("ci/none.toml"), "{}", run.stderr);
    }

    #[test]
    fn noqa_comments_suppress_matching_codes_only() {
        let project = Project::new();
        project
            .write("all.py", "def f(:  # noqa\n    pass\n")
            .write("code.py", "def f(:  # noqa: AV001\n    pass\n")
            .write("other.py", "def f(:  # noqa: AV201\n    pass\n");
        let (_, diagnostics) = project.check_json(&[]);
        let files: Vec<String> = summarize(&diagnostics).into_iter().map(|d| d.0).collect();
        assert!(files.iter().all(|file| file == "other.py"), "{files:?}");
        assert!(!files.is_empty());
    }

    #[test]
    fn broken_pyproject_is_reported_once_and_other_files_still_checked() {
        let project = Project::new();
        project
            .write(
                "bad/pyproject.toml",
                "[tool.aviato-lsp]\nselect = [\"AV999\"]\n",
            )
            .write("bad/a.py", CLEAN)
            .write("bad/b.py", CLEAN)
            .write("good/c.py", ONE_ERROR);
        let (run, diagnostics) = project.check_json(&[]);
        assert_eq!(run.code, 2);
        let errors: Vec<&str> = run.stderr.lines().collect();
        assert_eq!(errors.len(), 1, "{}", run.stderr);
        assert!(errors[0].starts_with("error: "), "{}", errors[0]);
        assert!(errors[0].contains("pyproject.toml") && errors[0].contains("AV999"));
        let files: Vec<String> = summarize(&diagnostics).into_iter().map(|d| d.0).collect();
        assert!(files.iter().all(|file| file == "good/c.py"), "{files:?}");
        assert!(!files.is_empty());
    }
}

mod bad_input {
    use super::*;

    #[test]
    fn missing_and_non_utf8_paths_are_reported_and_the_rest_checked() {
        let project = Project::new();
        project
            .write("latin1.py", b"x = 1\nname = 'caf\xe9'\n")
            .write("broken.py", ONE_ERROR)
            .write("clean.py", CLEAN);
        let run = project.run(&["check", "missing.py", "latin1.py", "broken.py", "clean.py"]);
        assert_eq!(run.code, 2);
        assert_eq!(
            run.stderr.lines().collect::<Vec<_>>(),
            [
                "error: missing.py: no such file or directory",
                "error: latin1.py: not valid UTF-8 (line 2)",
            ]
        );
        assert!(
            run.stdout.starts_with("broken.py:1:7: AV001 "),
            "{}",
            run.stdout
        );
        assert!(
            run.stdout.ends_with(" 2 paths could not be checked.\n"),
            "{}",
            run.stdout
        );

        // The JSON on stdout stays a valid array of the files that were checked.
        let (run, diagnostics) = project.check_json(&["missing.py", "latin1.py", "broken.py"]);
        assert_eq!(run.code, 2);
        assert_eq!(run.stderr.lines().count(), 2);
        assert!(summarize(&diagnostics).iter().all(|d| d.0 == "broken.py"));
        assert!(!diagnostics.is_empty());
    }

    #[test]
    fn walked_non_utf8_file_does_not_stop_the_walk() {
        let project = Project::new();
        project.write("a.py", b"\xff\xfe").write("b.py", CLEAN);
        let run = project.run(&["check"]);
        assert_eq!(run.code, 2);
        assert_eq!(run.stderr, "error: a.py: not valid UTF-8 (line 1)\n");
        assert_eq!(run.stdout, "No diagnostics. 1 path could not be checked.\n");
    }

    #[test]
    fn empty_and_binary_looking_files_do_not_crash() {
        let project = Project::new();
        project
            .write("empty.py", "")
            .write("nul.py", "x = '\0'\n\0\0\0")
            .write("crlf.py", "def f(:\r\n    pass\r\n");
        let run = project.run(&["check"]);
        assert!(run.code == 0 || run.code == 1, "{}", run.stderr);
        assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
        assert!(run.stdout.contains("crlf.py:1:7: AV001"), "{}", run.stdout);
    }
}
