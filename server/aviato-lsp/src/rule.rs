//! `aviato-lsp rule`: a rule's documentation, or the list of rules.

use std::process::ExitCode;

use aviato_analysis::Rule;

#[derive(clap::Args)]
pub struct Args {
    /// A rule code (`AV201`) or name (`module-not-in-sandbox`).
    #[arg(conflicts_with = "all")]
    code: Option<String>,

    /// List every rule: code, name and default severity.
    #[arg(long)]
    all: bool,
}

pub fn run(args: Args) -> ExitCode {
    if args.code.is_none() && !args.all {
        eprintln!(
            "error: name a rule, e.g. `aviato-lsp rule AV201`, or list every rule with \
             `aviato-lsp rule --all`"
        );
        return ExitCode::from(2);
    }
    let Some(code) = args.code else {
        let width = Rule::ALL
            .iter()
            .map(|rule| rule.name().len())
            .max()
            .unwrap_or(0);
        for rule in Rule::ALL {
            println!(
                "{}  {:width$}  {}",
                rule.code(),
                rule.name(),
                rule.default_severity().as_str()
            );
        }
        return ExitCode::SUCCESS;
    };
    match Rule::from_code(&code) {
        Some(rule) => {
            print!("{}", rule.doc());
            ExitCode::SUCCESS
        }
        None => {
            eprintln!("error: unknown rule `{code}` (see `aviato-lsp rule --all`)");
            ExitCode::from(2)
        }
    }
}
