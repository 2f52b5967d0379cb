//! `aviato-lsp check`: check files and directories, print diagnostics in one of
//! the output formats, and exit 0 (no error-severity diagnostic), 1 (at least one)
//! or 2 (a usage error, or a path that could not be checked). `--fix`, `--diff`
//! and `--add-noqa` change the files, or show how ([`fix`]).

pub(crate) mod files;
mod fix;
mod output;
mod settings;

use std::io::{self, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use aviato_analysis::text::LineIndex;
use aviato_analysis::{Diagnostic, Settings, Severity};

use self::files::SourceFile;
use self::fix::Mode;
use self::settings::{Overrides, SettingsResolver};

#[derive(clap::Args)]
#[command(
    after_help = "Exit status: 0 when no diagnostic has error severity, 1 when one has, \
2 on a usage error or when a path could not be checked (reported on stderr)."
)]
pub struct Args {
    /// Files and directories to check (default: the current directory). Directories are
    /// walked recursively for `*.py` and `*.pyi` files, honouring `.gitignore`.
    paths: Vec<PathBuf>,

    /// How to print diagnostics.
    #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
    output_format: OutputFormat,

    /// Rules to enable (codes, code prefixes or names, comma-separated), replacing the
    /// configuration's `select` and `ignore`.
    #[arg(long, value_delimiter = ',', value_name = "RULES")]
    select: Option<Vec<String>>,

    /// Rules to disable (codes, code prefixes or names, comma-separated), added to the
    /// configuration's `ignore`.
    #[arg(long, value_delimiter = ',', value_name = "RULES")]
    ignore: Vec<String>,

    /// A `pyproject.toml` whose `[tool.aviato-lsp]` table applies to every file,
    /// instead of the nearest one of each file.
    #[arg(long, value_name = "PATH")]
    config: Option<PathBuf>,

    /// Apply the safe fixes to the files, then report what remains.
    #[arg(long, conflicts_with_all = ["diff", "add_noqa"])]
    fix: bool,

    /// Print the safe fixes as a unified diff instead of applying them; exit 1 when
    /// there is one.
    #[arg(long, conflicts_with = "add_noqa")]
    diff: bool,

    /// Add `# noqa: CODE` comments to the lines with diagnostics (except syntax errors).
    #[arg(long)]
    add_noqa: bool,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum OutputFormat {
    /// `path:line:col: CODE message` with a source excerpt, then a summary.
    Text,
    /// A JSON array of diagnostics (see docs/json-output.md).
    Json,
    /// GitHub Actions workflow commands (`::error file=...::message`).
    Github,
}

/// One checked file and what was found in it.
pub(crate) struct FileReport {
    pub path: PathBuf,
    pub source: String,
    pub index: LineIndex,
    pub diagnostics: Vec<Diagnostic>,
}

/// A checked file, and its text on disk when `--fix`, `--diff` or `--add-noqa`
/// changed it.
struct Checked {
    report: FileReport,
    original: Option<String>,
    changes: usize,
}

/// Everything a check run produced, in path order.
pub(crate) struct Report {
    pub files: Vec<FileReport>,
    /// Paths that could not be checked; each was reported on stderr.
    pub failures: usize,
}

impl Report {
    pub fn count(&self, severity: Severity) -> usize {
        self.files
            .iter()
            .flat_map(|file| &file.diagnostics)
            .filter(|diagnostic| diagnostic.severity == severity)
            .count()
    }
}

pub fn run(args: Args) -> ExitCode {
    let mode = match (args.fix, args.diff, args.add_noqa) {
        (true, _, _) => Mode::Fix,
        (_, true, _) => Mode::Diff,
        (_, _, true) => Mode::AddNoqa,
        _ => Mode::Report,
    };
    let overrides = Overrides {
        select: args.select,
        ignore: args.ignore,
    };
    let resolver = match SettingsResolver::new(overrides, args.config.as_deref()) {
        Ok(resolver) => resolver,
        Err(err) => {
            eprintln!("error: {err}");
            return ExitCode::from(2);
        }
    };

    let paths = if args.paths.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        args.paths
    };
    let mut errors = Errors::default();
    let sources = files::collect(&paths, &mut |err| errors.report(err));
    if sources.is_empty() && errors.count == 0 {
        eprintln!("warning: no Python files found under the given paths");
    }

    let mut jobs = Vec::with_capacity(sources.len());
    for source in sources {
        match resolver.for_file(&source.path) {
            Ok(settings) => jobs.push((source, settings)),
            Err(err) => errors.report_once(&err),
        }
    }
    let mut checked = Vec::with_capacity(jobs.len());
    for result in check_all(jobs, mode) {
        match result {
            Ok(file) => checked.push(file),
            Err(err) => errors.report(&err),
        }
    }
    let changes: usize = checked.iter().map(|file| file.changes).sum();
    let mut diffs = String::new();
    for file in &checked {
        let Some(original) = &file.original else {
            continue;
        };
        let report = &file.report;
        if mode == Mode::Diff {
            diffs.push_str(&fix::unified_diff(&report.path, original, &report.source));
        } else if let Err(err) = std::fs::write(&report.path, &report.source) {
            errors.report(&format!("{}: cannot write: {err}", report.path.display()));
        }
    }
    let report = Report {
        files: checked.into_iter().map(|file| file.report).collect(),
        failures: errors.count,
    };

    let mut stdout = io::BufWriter::new(io::stdout().lock());
    let written = match (mode, args.output_format) {
        (Mode::Diff, _) => stdout.write_all(diffs.as_bytes()),
        (Mode::AddNoqa, _) => Ok(()),
        (_, OutputFormat::Text) => {
            output::text::write(&mut stdout, &report, output::Colors::detect())
        }
        (_, OutputFormat::Json) => output::json::write(&mut stdout, &report),
        (_, OutputFormat::Github) => output::github::write(&mut stdout, &report),
    };
    if let Err(err) = written.and_then(|()| stdout.flush())
        && err.kind() != io::ErrorKind::BrokenPipe
    {
        eprintln!("error: cannot write the output: {err}");
        return ExitCode::from(2);
    }
    let remaining: usize = report.files.iter().map(|file| file.diagnostics.len()).sum();
    match mode {
        Mode::Report => {}
        Mode::Fix => eprintln!("Fixed {}, {remaining} remaining.", diagnostics(changes)),
        Mode::Diff if changes == 0 => eprintln!("No fixes available."),
        Mode::Diff => eprintln!("Would fix {}.", diagnostics(changes)),
        Mode::AddNoqa => eprintln!(
            "Added {changes} noqa {}.",
            if changes == 1 {
                "directive"
            } else {
                "directives"
            }
        ),
    }

    if report.failures > 0 {
        ExitCode::from(2)
    } else if mode == Mode::Diff {
        // As Ruff's `--diff`: 1 when applying the fixes would change a file.
        ExitCode::from(u8::from(changes > 0))
    } else if mode != Mode::AddNoqa && report.count(Severity::Error) > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

fn diagnostics(count: usize) -> String {
    match count {
        1 => "1 diagnostic".to_string(),
        n => format!("{n} diagnostics"),
    }
}

/// Reports problems with paths on stderr as they happen, one line each.
#[derive(Default)]
struct Errors {
    count: usize,
    /// Messages shared by many files (a broken `pyproject.toml`) print once.
    printed: std::collections::HashSet<Arc<str>>,
}

impl Errors {
    fn report(&mut self, message: &str) {
        eprintln!("error: {message}");
        self.count += 1;
    }

    fn report_once(&mut self, message: &Arc<str>) {
        if self.printed.insert(message.clone()) {
            eprintln!("error: {message}");
        }
        self.count += 1;
    }
}

/// Reads and checks every file, on as many threads as there are cores, keeping the
/// input order.
fn check_all(jobs: Vec<(SourceFile, Arc<Settings>)>, mode: Mode) -> Vec<Result<Checked, String>> {
    let threads = std::thread::available_parallelism().map_or(1, usize::from);
    let chunk_size = jobs.len().div_ceil(threads).max(1);
    std::thread::scope(|scope| {
        let workers: Vec<_> = jobs
            .chunks(chunk_size)
            .map(|chunk| {
                scope.spawn(move || {
                    chunk
                        .iter()
                        .map(|(file, settings)| check_file(file, settings, mode))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|worker| worker.join().expect("checking a file panicked"))
            .collect()
    })
}

fn check_file(file: &SourceFile, settings: &Settings, mode: Mode) -> Result<Checked, String> {
    let source = file.read()?;
    // A bug in one rule should cost one file, not the whole run; the panic hook has
    // already printed the details.
    let (diagnostics, rewrite) = std::panic::catch_unwind(|| fix::rewrite(&source, settings, mode))
        .map_err(|_| {
            format!(
                "{}: internal error while checking this file",
                file.path.display()
            )
        })?;
    let (text, original, changes) = match rewrite {
        Some(rewrite) if rewrite.text != source => (rewrite.text, Some(source), rewrite.changes),
        _ => (source, None, 0),
    };
    Ok(Checked {
        report: FileReport {
            path: file.path.clone(),
            index: LineIndex::from_source_text(&text),
            source: text,
            diagnostics,
        },
        original,
        changes,
    })
}
