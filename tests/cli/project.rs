//! A temporary project directory and a way to run `aviato-lsp` in it.

use std::path::Path;
use std::process::Command;

pub struct Project {
    dir: tempfile::TempDir,
}

/// What one run of the binary printed and returned.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Project {
    pub fn new() -> Project {
        Project {
            dir: tempfile::tempdir().expect("create a temporary directory"),
        }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Writes `contents` to `relative`, creating its directories.
    pub fn write(&self, relative: &str, contents: impl AsRef<[u8]>) -> &Project {
        let path = self.dir.path().join(relative);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, contents).unwrap();
        self
    }

    /// Runs `aviato-lsp ARGS` in the project directory.
    pub fn run(&self, args: &[&str]) -> Run {
        let output = Command::new(env!("CARGO_BIN_EXE_aviato-lsp"))
            .args(args)
            .current_dir(self.dir.path())
            .env("NO_COLOR", "1")
            .output()
            .expect("run aviato-lsp");
        Run {
            code: output.status.code().expect("exited with a code"),
            stdout: String::from_utf8(output.stdout).expect("stdout is UTF-8"),
            stderr: String::from_utf8(output.stderr).expect("stderr is UTF-8"),
        }
    }

    /// Runs `aviato-lsp check --output-format json ARGS` and parses the output.
    pub fn check_json(&self, args: &[&str]) -> (Run, Vec<serde_json::Value>) {
        let mut all = vec!["check", "--output-format", "json"];
        all.extend_from_slice(args);
        let run = self.run(&all);
        let diagnostics = serde_json::from_str(&run.stdout)
            .unwrap_or_else(|err| panic!("invalid JSON ({err}):\n{}", run.stdout));
        (run, diagnostics)
    }
}

/// `(file, code, line)` of each JSON diagnostic.
pub fn summarize(diagnostics: &[serde_json::Value]) -> Vec<(String, String, u64)> {
    diagnostics
        .iter()
        .map(|diagnostic| {
            (
                diagnostic["file"].as_str().unwrap().to_string(),
                diagnostic["code"].as_str().unwrap().to_string(),
                diagnostic["range"]["start"]["line"].as_u64().unwrap(),
            )
        })
        .collect()
}
