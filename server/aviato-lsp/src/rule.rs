//! `aviato-lsp rule`.

use std::process::ExitCode;

#[derive(clap::Args)]
pub struct Args {
    /// A rule code (`AV201`) or name (`module-not-in-sandbox`).
    code: String,
}

pub fn run(args: Args) -> ExitCode {
    match aviato_analysis::Rule::from_code(&args.code) {
        Some(rule) => {
            print!("{}", rule.doc());
            ExitCode::SUCCESS
        }
        None => {
            eprintln!("error: unknown rule `{}`", args.code);
            ExitCode::from(2)
        }
    }
}
