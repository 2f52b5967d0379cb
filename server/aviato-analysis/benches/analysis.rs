//! Parse time, analysis time and throughput on the generated 10,000-line file.
//! `cargo bench -p aviato-analysis` prints a Markdown table; `-- --write PATH`
//! also writes the file, e.g. to time `aviato-lsp check` on it.

mod generated;

use std::time::{Duration, Instant};

use aviato_analysis::{Analysis, Reparser, SdkChoice, Settings, check, sandbox_functions};
use ruff_python_ast::PySourceType;
use ruff_python_parser::{ParseOptions, parse_unchecked};

fn median_and_p95(mut samples: Vec<Duration>) -> (Duration, Duration) {
    samples.sort();
    (
        samples[samples.len() / 2],
        samples[samples.len() * 95 / 100],
    )
}

fn measure(runs: usize, mut work: impl FnMut()) -> (Duration, Duration) {
    for _ in 0..5 {
        work();
    }
    let samples = (0..runs)
        .map(|_| {
            let start = Instant::now();
            work();
            start.elapsed()
        })
        .collect();
    median_and_p95(samples)
}

fn main() {
    let source = generated::source();
    let mut args = std::env::args().skip_while(|arg| arg != "--write");
    if let (Some(_), Some(path)) = (args.next(), args.next()) {
        std::fs::write(&path, &source).expect("write the generated file");
    }
    let settings = Settings::default();
    let diagnostics = check(&source, &settings);
    assert_eq!(
        sandbox_functions(&source, aviato_analysis::SdkChoice::Auto).len(),
        generated::FUNCTIONS
    );

    let options = ParseOptions::from(PySourceType::Python)
        .with_target_version(aviato_analysis::TARGET_VERSION);
    let runs = 200;
    let (parse, parse_p95) = measure(runs, || {
        std::hint::black_box(parse_unchecked(&source, options.clone()));
    });
    let (full, full_p95) = measure(runs, || {
        std::hint::black_box(check(&source, &settings));
    });
    let (facts, facts_p95) = measure(runs, || {
        std::hint::black_box(sandbox_functions(&source, aviato_analysis::SdkChoice::Auto));
    });
    let (analysis, analysis_p95) = measure(runs, || {
        std::hint::black_box(Analysis::new(&source, SdkChoice::Auto));
    });
    // An editor's revisions: a one-line edit inside a function in the middle of
    // the file, and back.
    let edited = one_line_edit(&source);
    let mut reparser = Reparser::default();
    let mut revisions = [source.as_str(), edited.as_str()].into_iter().cycle();
    let (revision, revision_p95) = measure(runs, || {
        let text = revisions.next().expect("cycles");
        std::hint::black_box(Analysis::of_revision(
            text,
            SdkChoice::Auto,
            &mut reparser,
            |_| {},
            || true,
        ));
    });
    let megabytes = source.len() as f64 / 1_000_000.0;
    let ms = |duration: Duration| duration.as_secs_f64() * 1000.0;
    println!(
        "file: {} lines, {} bytes, {} sandbox functions, {} diagnostics\n",
        source.lines().count(),
        source.len(),
        generated::FUNCTIONS,
        diagnostics.len()
    );
    println!("| step | p50 (ms) | p95 (ms) | MB/s (p50) |");
    println!("|---|---|---|---|");
    println!(
        "| parse only | {:.2} | {:.2} | {:.0} |",
        ms(parse),
        ms(parse_p95),
        megabytes / parse.as_secs_f64()
    );
    println!(
        "| analysis only (full diagnostics minus parse) | {:.2} | – | – |",
        ms(full.saturating_sub(parse))
    );
    println!(
        "| full diagnostics (`check`) | {:.2} | {:.2} | {:.0} |",
        ms(full),
        ms(full_p95),
        megabytes / full.as_secs_f64()
    );
    println!(
        "| run facts of all functions | {:.2} | {:.2} | {:.0} |",
        ms(facts),
        ms(facts_p95),
        megabytes / facts.as_secs_f64()
    );
    println!(
        "| `Analysis::new`: diagnostics and run facts | {:.2} | {:.2} | {:.0} |",
        ms(analysis),
        ms(analysis_p95),
        megabytes / analysis.as_secs_f64()
    );
    println!(
        "| `Analysis::of_revision` after a one-line edit in a function | {:.2} | {:.2} | – |",
        ms(revision),
        ms(revision_p95),
    );
}

/// `source` with the first `return` in its middle third returning something else.
fn one_line_edit(source: &str) -> String {
    let middle = source.len() / 3;
    let at = middle + source[middle..].find("return ").expect("a return") + "return ".len();
    format!("{}0 or {}", &source[..at], &source[at..])
}
