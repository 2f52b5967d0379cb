//! Arguments only running the file gives.
//!
//! `rates = conversion_rates.remote(totals).result()` inside a `try` whose `except`
//! falls back to another value, a list filled in a loop, a value built by a helper:
//! the analysis cannot say what a call passes, and following earlier calls
//! ([`crate::upstream`]) is not enough. The file itself then runs in the sandbox,
//! with stand-ins for the SDK's module (`runner.py`, "Running the file up to the
//! call"): each earlier sandbox call is made as the SDK makes it, with the values
//! the file computed, and gives the file what the SDK's client would; the requested
//! call is the run. Only the local backend runs a file this way.

use aviato_analysis::SandboxFunctionFacts;
use aviato_analysis::text::{LineIndex, TextSize};

use crate::prepare::{find_function, sent_function_in, serialization_of};
use crate::{FileRun, FileRunFunction, Prepared, RunRequest};

/// The requested call as a run of the file up to it; `None` when the request names
/// no call and the file has none. The items of a `.map`, and a call the file makes again
/// in a loop, run in turn up to the first that returns no value.
pub(crate) fn prepare_file_run(request: &RunRequest) -> Option<Prepared> {
    let index = LineIndex::from_source_text(&request.source);
    let line_of = |offset: TextSize| index.line_index(offset).get() as u32;
    let analysis = request.analysis();
    let functions = analysis.functions();
    let target = find_function(request, functions, &line_of).ok()?;
    // A call the analysis does not see (through a dict of functions, an attribute
    // of another object) is found as the file runs, by its line.
    let call_lines = match request.call_site {
        Some(wanted) => target
            .call_sites
            .iter()
            .find(|site| line_of(site.range.start()) == wanted)
            .map_or((wanted, wanted), |site| (wanted, line_of(site.range.end()))),
        None => {
            let site = target.call_sites.first()?;
            (line_of(site.range.start()), line_of(site.range.end()))
        }
    };
    let mode = serialization_of(&target).unwrap_or_default();
    let mut payload = sent_function_in(request, &target, mode, &line_of).ok()?;
    let mut entries = Vec::new();
    let mut target_index = None;
    for function in functions {
        let Some(mut entry) = file_run_function(request, function, &line_of) else {
            continue;
        };
        // The sandbox makes the requested call's `temp_dir` writable; the calls before
        // it make theirs there too.
        entry.temp_dir.clone_from(&payload.temp_dir);
        if function.name_range == target.name_range {
            target_index = Some(entries.len());
        }
        entries.push(entry);
    }
    payload.file_run = Some(FileRun {
        source: request.source.clone(),
        functions: entries,
        target: target_index?,
        call_lines,
    });
    Some(Prepared {
        payload,
        call_site: Some(call_lines.0),
        iterations: false,
    })
}

/// A sandbox function of the file as the stand-ins make its calls; `None` when the
/// SDK would not send it (its calls then run as plain Python).
fn file_run_function(
    request: &RunRequest,
    function: &SandboxFunctionFacts,
    line_of: &impl Fn(TextSize) -> u32,
) -> Option<FileRunFunction> {
    // A mode the file computes is read from the decorator's options as it runs.
    let fixed = serialization_of(function);
    let payload = sent_function_in(request, function, fixed.unwrap_or_default(), line_of).ok()?;
    Some(FileRunFunction {
        name: function.name.clone(),
        first_line: line_of(function.statement_range.start()),
        def_line: line_of(function.name_range.start()),
        source: payload.source,
        serialization: payload.serialization,
        temp_dir: payload.temp_dir,
        environment: payload.environment,
        serialization_from_options: fixed.is_none(),
    })
}
