//! `aviato-lsp`: the language server (`server`, the default) and the CLI.

mod check;
mod rule;
mod run;
mod sandbox_server;

use std::io::IsTerminal;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "aviato-lsp",
    version,
    about = "Language server and checker for aviato sandbox functions"
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the Language Server Protocol on stdin/stdout (the default); editors start
    /// it. Logs warnings and errors to stderr (`AVIATO_LSP_LOG=info` or `debug` for more).
    Server,
    /// Check Python files and directories for sandbox-function problems.
    Check(check::Args),
    /// Print the documentation of a rule, e.g. `aviato-lsp rule AV201`.
    Rule(rule::Args),
    /// Run a sandbox function the way the SDK would, in a local sandbox.
    Run(run::Args),
    /// Serve the aviato sandbox protocol (ATCService) on this machine's sandboxes.
    SandboxServer(sandbox_server::Args),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command.unwrap_or(Command::Server) {
        Command::Server => {
            if std::io::stdin().is_terminal() {
                // A person typed `aviato-lsp`: say what it is doing.
                eprintln!(
                    "aviato-lsp {}: serving the Language Server Protocol on stdin and stdout, \
                     waiting for an LSP client (your editor starts it).\n\
                     For the command line, see `aviato-lsp --help` (`aviato-lsp check .`, \
                     `aviato-lsp run FILE --function NAME`). Ctrl-C quits.",
                    env!("CARGO_PKG_VERSION")
                );
            }
            serve()
        }
        Command::Check(args) => check::run(args),
        Command::Rule(args) => rule::run(args),
        Command::Run(args) => run::run(args),
        Command::SandboxServer(args) => sandbox_server::run(args),
    }
}

fn serve() -> ExitCode {
    match aviato_lsp_server::run_stdio() {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err}");
            ExitCode::from(2)
        }
    }
}
