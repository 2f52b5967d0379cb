//! `aviato-lsp run`: one call of a sandbox function, prepared as the SDK would and
//! run in a sandbox, reported as a value or a traceback.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use aviato_exec::{
    BackendKind, BackendSettings, CancellationToken, Limits, Outcome, OutcomeKind, RunRequest,
    prepare, run_prepared,
};

#[derive(Clone, Copy, clap::ValueEnum)]
pub enum OutputFormat {
    Text,
    Json,
}

#[derive(Clone, Copy, clap::ValueEnum)]
pub enum BackendName {
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
pub struct Args {
    /// The Python file that defines the function.
    file: PathBuf,
    /// The sandbox function to run.
    #[arg(long)]
    function: String,
    /// The line of its `def`, when several functions share the name.
    #[arg(long)]
    line: Option<u32>,
    /// The arguments, as a Python argument list: `'2, 3'` or `'"b", x=[1, 2]'`.
    /// Without it, the first call site whose arguments are static is used.
    #[arg(long, allow_hyphen_values = true)]
    args: Option<String>,
    /// The line of the call site whose arguments to use.
    #[arg(long)]
    call_site: Option<u32>,
    /// Wall-clock limit in seconds.
    #[arg(long, default_value_t = 30.0)]
    timeout: f64,
    /// Memory limit in MiB.
    #[arg(long)]
    memory_mb: Option<u64>,
    #[arg(long, value_enum, default_value_t = BackendName::Local)]
    backend: BackendName,
    /// The service for `--backend aviato` or `--backend cwsandbox`.
    #[arg(long)]
    base_url: Option<String>,
    #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
    output_format: OutputFormat,
}

pub fn run(args: Args) -> ExitCode {
    let outcome = outcome(&args);
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
    let source = match std::fs::read(&args.file) {
        Ok(bytes) => match String::from_utf8(bytes) {
            Ok(source) => source,
            Err(_) => return Outcome::error(format!("{}: not valid UTF-8", args.file.display())),
        },
        Err(err) => return Outcome::error(format!("{}: {err}", args.file.display())),
    };
    let request = RunRequest {
        file_name: args.file.display().to_string(),
        source,
        function: args.function.clone(),
        line: args.line,
        args: args.args.clone(),
        call_site: args.call_site,
    };
    let prepared = match prepare(&request) {
        Ok(prepared) => prepared,
        Err(not_run) => return not_run.into(),
    };
    let mut limits = Limits {
        timeout: Duration::from_secs_f64(args.timeout),
        ..Limits::default()
    };
    if let Some(memory) = args.memory_mb {
        limits.memory_bytes = memory * 1024 * 1024;
    }
    let settings = BackendSettings {
        backend: match args.backend {
            BackendName::Local => BackendKind::Local,
            BackendName::Aviato => BackendKind::Aviato,
            BackendName::Cwsandbox => BackendKind::Cwsandbox,
        },
        base_url: args.base_url.clone(),
    };
    let backend = match settings.build() {
        Ok(backend) => backend,
        Err(message) => return Outcome::error(message),
    };
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(err) => return Outcome::error(format!("cannot start the runtime: {err}")),
    };
    runtime.block_on(run_prepared(
        backend.as_ref(),
        &prepared,
        &limits,
        CancellationToken::new(),
    ))
}

fn print_text(args: &Args, outcome: &Outcome) {
    if !outcome.stdout.is_empty() {
        print!("{}", outcome.stdout);
    }
    if !outcome.stderr.is_empty() {
        eprint!("{}", outcome.stderr);
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
            let kind = outcome.exception_type.as_deref().unwrap_or("Exception");
            match outcome.exception_message.as_deref() {
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
