//! `aviato-lsp run`: one call of a sandbox function, prepared as the SDK would and
//! run in a sandbox, reported as a value or a traceback.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use aviato_analysis::{SandboxFunctionFacts, Settings, TextSize};
use aviato_exec::{
    BackendKind, BackendSettings, CancellationToken, Limits, Outcome, OutcomeKind, OutputStream,
    Payload, RunDescription, RunRequest, RunSetup, blocking_diagnostic, forward_output,
    output_channel, prepare, run_request,
};
use aviato_lsp_server::signature::{Signature, usable_call_site};

use crate::check::files::io_reason;

/// Below this, Python cannot start in the local sandbox (it needs about 20 MiB of
/// address space before it runs a line).
pub const MIN_MEMORY_MB: u64 = 32;

#[derive(Clone, Copy, clap::ValueEnum)]
pub enum OutputFormat {
    /// Stdout and stderr as the function writes them, to ours while it runs, then
    /// the value or a traceback.
    Text,
    /// One JSON object (docs/run-output.md).
    Json,
}

#[derive(Clone, Copy, clap::ValueEnum)]
pub enum BackendName {
    /// `cwsandbox` for a file of the cwsandbox SDK when CWSANDBOX_API_KEY or
    /// CWSANDBOX_BASE_URL is set, else `local`.
    Auto,
    /// A bubblewrap sandbox on this machine.
    Local,
    /// A sandbox of an aviato service (`--base-url`, else `AVIATO_BASE_URL`; key from
    /// `AVIATO_API_KEY`), or of a shared `aviato-lsp sandbox-server`.
    Aviato,
    /// A sandbox of the CoreWeave sandbox service, gRPC `coreweave.sandbox.v1`
    /// (`--base-url`, else `CWSANDBOX_BASE_URL`, else https://api.cwsandbox.com; key
    /// from `CWSANDBOX_API_KEY`), or of a shared `aviato-lsp sandbox-server`.
    Cwsandbox,
}

#[derive(clap::Args)]
#[command(
    after_help = "Exit status: 0 when the function returned a value; 1 when it raised, was \
refused, timed out or was killed; 2 on a usage error (no such file or function, unreadable \
arguments, a function that needs arguments the file never passes) or when no sandbox could run.

Limits of the local sandbox: its memory (swap and /tmp files included), processes and CPU \
bandwidth (1 CPU) are bounded for all its processes together by a cgroup of its own (v1 or v2), \
where this user may make one; otherwise per process only (rlimits), and the outcome's note says \
so. CPU time, address space and file size per process are rlimits as well; /tmp, /dev/shm and \
temp_dir are tmpfs mounts of their own, bounded by the kernel in bytes (256 MiB) and in files \
(131,072), root or not; the wall-clock limit kills the whole sandbox."
)]
pub struct Args {
    /// The Python file that defines the function.
    file: PathBuf,
    /// The sandbox function to run.
    #[arg(long, value_name = "NAME")]
    function: String,
    /// The line of its `def`, when several functions share the name.
    #[arg(long, value_name = "DEF_LINE")]
    line: Option<u32>,
    /// The arguments, as a Python argument list: `'2, 3'` or `'"b", x=[1, 2]'`.
    /// Without it, the first call site whose arguments are static is used.
    #[arg(long, value_name = "PY", allow_hyphen_values = true)]
    args: Option<String>,
    /// The line of the call site whose arguments to use.
    #[arg(long, value_name = "LINE")]
    call_site: Option<u32>,
    /// Wall-clock limit in seconds.
    #[arg(long, value_name = "SECS", default_value_t = 30.0)]
    timeout: f64,
    /// Memory limit in MiB, of the sandbox's processes together (and of each one's
    /// address space); at least 32, what Python needs to start. Default: 2048.
    #[arg(long, value_name = "MB")]
    memory_mb: Option<u64>,
    /// Where to run it.
    #[arg(long, value_enum, default_value_t = BackendName::Auto)]
    backend: BackendName,
    /// The service for `--backend aviato` or `--backend cwsandbox`.
    #[arg(long, value_name = "URL")]
    base_url: Option<String>,
    /// How to print the outcome: text (stdout and stderr, then the value or a
    /// traceback), or one JSON object (docs/run-output.md).
    #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
    output_format: OutputFormat,
}

pub fn run(args: Args) -> ExitCode {
    let mut outcome = outcome(&args);
    outcome.describe(&RunDescription {
        function: &args.function,
        args: args.args.as_deref(),
        timeout: Duration::try_from_secs_f64(args.timeout).unwrap_or_default(),
        source: &std::fs::read_to_string(&args.file).unwrap_or_default(),
    });
    match args.output_format {
        OutputFormat::Json => match serde_json::to_string_pretty(&outcome) {
            Ok(json) => println!("{json}"),
            Err(err) => eprintln!("error: {err}"),
        },
        OutputFormat::Text => print_text(&args, &outcome),
    }
    ExitCode::from(outcome.outcome.exit_code() as u8)
}

fn outcome(args: &Args) -> Outcome {
    if !args.timeout.is_finite() || args.timeout <= 0.0 {
        return Outcome::error("--timeout must be a positive number of seconds");
    }
    if let Some(memory) = args.memory_mb
        && memory < MIN_MEMORY_MB
    {
        return Outcome::error(format!(
            "--memory-mb {memory} is below what Python needs to start in the sandbox; \
             give at least --memory-mb {MIN_MEMORY_MB}"
        ));
    }
    let source = match std::fs::read(&args.file) {
        Ok(bytes) => match String::from_utf8(bytes) {
            Ok(source) => source,
            Err(_) => return Outcome::error(format!("{}: not valid UTF-8", args.file.display())),
        },
        Err(err) => {
            return Outcome::error(format!("{}: {}", args.file.display(), io_reason(&err)));
        }
    };
    let mut request = RunRequest {
        file_name: args.file.display().to_string(),
        source,
        function: args.function.clone(),
        line: args.line,
        args: args.args.clone(),
        call_site: args.call_site,
        analysis: None,
        name_at: None,
    };
    // One analysis for the checks of the arguments and the run.
    request.analysis = Some(request.analysis());
    match call_arguments(args, &request) {
        Ok(call_args) => request.args = call_args,
        Err(needed) => {
            // Only the arguments are missing when the example would run: then say
            // what to type; otherwise the run's own refusal says what else is wrong.
            let with_example = RunRequest {
                args: Some(needed.example),
                ..request.clone()
            };
            if prepare(&with_example).is_ok() {
                return Outcome::error(needed.message);
            }
        }
    }
    execute(args, request)
}

/// Runs the call (and the earlier calls whose values it needs) in the backend the
/// arguments name.
fn execute(args: &Args, request: RunRequest) -> Outcome {
    let mut limits = Limits {
        timeout: Duration::from_secs_f64(args.timeout),
        ..Limits::default()
    };
    if let Some(memory) = args.memory_mb {
        limits.memory_bytes = memory * 1024 * 1024;
    }
    let settings = BackendSettings {
        backend: match args.backend {
            BackendName::Auto => BackendKind::Auto,
            BackendName::Local => BackendKind::Local,
            BackendName::Aviato => BackendKind::Aviato,
            BackendName::Cwsandbox => BackendKind::Cwsandbox,
        },
        base_url: args.base_url.clone(),
    };
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(err) => return Outcome::error(format!("cannot start the runtime: {err}")),
    };
    let build = |payload: &Payload| settings.build(payload);
    let setup = RunSetup {
        backend: &build,
        limits: &limits,
        cancel: &CancellationToken::new(),
    };
    // In text mode the function's stdout and stderr go to ours while it runs; JSON
    // has them in the outcome only.
    let (sink, chunks) = output_channel();
    let live = matches!(args.output_format, OutputFormat::Text).then_some(sink);
    runtime.block_on(async {
        let (outcome, ()) = tokio::join!(
            run_request(request, &setup, live),
            forward_output(chunks, limits.output_bytes, |stream, text| {
                write_live(stream, &text);
                async {}
            })
        );
        outcome
    })
}

/// A piece of the function's output, on the stream it was written to.
fn write_live(stream: OutputStream, text: &str) {
    use std::io::Write;
    // A closed terminal loses the output, not the run.
    let _ = match stream {
        OutputStream::Stdout => {
            let mut out = std::io::stdout().lock();
            out.write_all(text.as_bytes()).and_then(|()| out.flush())
        }
        OutputStream::Stderr => {
            let mut err = std::io::stderr().lock();
            err.write_all(text.as_bytes()).and_then(|()| err.flush())
        }
    };
}

/// `--args`, or what to run with when it is not given: the function's defaults
/// when it needs nothing and no call passes static arguments; a usage error, with
/// an example fitting its parameters, when it needs arguments and no call passes
/// static ones. Everything else is left to `prepare`.
fn call_arguments(args: &Args, request: &RunRequest) -> Result<Option<String>, NeedsArguments> {
    if args.args.is_some() || args.call_site.is_some() {
        return Ok(args.args.clone());
    }
    let source = &request.source;
    let analysis = request.analysis();
    let line_of = |offset: TextSize| {
        let end = offset.to_usize().min(source.len());
        source[..end].matches('\n').count() as u32 + 1
    };
    let found: Option<&SandboxFunctionFacts> = analysis
        .functions()
        .iter()
        .filter(|function| function.name == args.function)
        .find(|function| {
            args.line.is_none_or(|line| {
                (line_of(function.statement_range.start())..=line_of(function.name_range.start()))
                    .contains(&line)
            })
        });
    let Some(function) = found else {
        return Ok(None);
    };
    if function.parameters.is_empty()
        || function
            .call_sites
            .iter()
            .any(|site| usable_call_site(function, site))
        || blocking_diagnostic(&analysis.diagnostics(&Settings::default()), function).is_some()
    {
        return Ok(None);
    }
    let Some(signature) = Signature::parse(&source[function.signature_range]) else {
        return Ok(None);
    };
    if !signature.needs_arguments() {
        return Ok(Some(String::new()));
    }
    let why = match function.call_sites.first() {
        Some(site) => format!(
            "the call at line {} is not static ({})",
            line_of(site.range.start()),
            site.arguments.as_ref().err().map_or("", String::as_str)
        ),
        None => "the file never calls it".to_string(),
    };
    let example = signature.example_arguments();
    Err(NeedsArguments {
        message: format!(
            "`{}` needs arguments and {why}; pass them with --args, e.g. --args {}",
            signature.display(),
            shell_quote(&example)
        ),
        example,
    })
}

/// A function that needs arguments no call passes statically.
struct NeedsArguments {
    /// The usage error, with an example that fits the parameters.
    message: String,
    /// The example, as `--args` would take it.
    example: String,
}

/// `text` quoted for a POSIX shell.
fn shell_quote(text: &str) -> String {
    if text.contains('\'') {
        let escaped: String = text
            .chars()
            .flat_map(|c| {
                matches!(c, '"' | '\\' | '$' | '`')
                    .then_some('\\')
                    .into_iter()
                    .chain(std::iter::once(c))
            })
            .collect();
        format!("\"{escaped}\"")
    } else {
        format!("'{text}'")
    }
}

fn print_text(args: &Args, outcome: &Outcome) {
    // stdout and stderr went out while the function ran; the value, or what ended
    // the run, starts a line of its own.
    if !outcome.stdout.is_empty() && !outcome.stdout.ends_with('\n') {
        println!();
    }
    if !outcome.stderr.is_empty() && !outcome.stderr.ends_with('\n') {
        eprintln!();
    }
    for (stream, cut) in [
        ("stdout", outcome.stdout_truncated),
        ("stderr", outcome.stderr_truncated),
    ] {
        if cut {
            eprintln!(
                "({stream} was cut at {} KiB: the rest was dropped)",
                Limits::default().output_bytes / 1024
            );
        }
    }
    if let Some(line) = outcome.call_site {
        eprintln!("(arguments from the call at line {line})");
    }
    if let Some(note) = &outcome.note {
        eprintln!("note: {note}");
    }
    match outcome.outcome {
        OutcomeKind::Ok => println!("{}", outcome.value_repr.as_deref().unwrap_or("None")),
        OutcomeKind::Raised => {
            eprintln!("Traceback (most recent call last):");
            let source = std::fs::read_to_string(&args.file).unwrap_or_default();
            for frame in &outcome.traceback {
                eprintln!(
                    "  File \"{}\", line {}, in {}",
                    frame.file, frame.line, frame.function
                );
                if let Some(text) = source.lines().nth(frame.line.saturating_sub(1) as usize) {
                    eprintln!("    {}", text.trim());
                }
            }
            // The traceback ends with the exception raised; what the SDK's client
            // reports of it, when it differs, is in the note above.
            let kind = outcome
                .real_exception_type
                .as_deref()
                .or(outcome.exception_type.as_deref())
                .unwrap_or("Exception");
            let message = outcome
                .real_exception_type
                .as_ref()
                .map_or(outcome.exception_message.as_deref(), |_| {
                    outcome.real_exception_message.as_deref()
                });
            match message {
                Some(message) if !message.is_empty() => eprintln!("{kind}: {message}"),
                _ => eprintln!("{kind}"),
            }
        }
        kind => {
            let code = outcome
                .code
                .as_deref()
                .map(|code| format!(" [{code}]"))
                .unwrap_or_default();
            let message = outcome.message.as_deref().unwrap_or("");
            eprintln!("{}{code}: {message}", kind.as_str());
        }
    }
}
