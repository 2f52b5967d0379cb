//! `aviato/sandboxFunctions`: each sandbox function of a document with what a
//! client needs to run it (its parameters, whether a call must pass arguments,
//! the call sites and whether theirs are static, why it cannot run), from the
//! analysis the server keeps per revision. Clients use it instead of scanning
//! Python themselves; it does not depend on the code lens settings.

use tower_lsp_server::ls_types::Uri;

use crate::analysis::{DocumentAnalysis, SandboxFunction};
use crate::edit::TextDocument;
use crate::proto::ext::{
    CallSiteInfo, CannotRun, FunctionArguments, SandboxFunctionInfo, SandboxFunctionsParams,
};
use crate::proto::{LineMap, from_proto, to_proto};
use crate::session::Session;
use crate::signature::{Signature, usable_call_site};

pub(crate) async fn sandbox_functions(
    session: &Session,
    params: SandboxFunctionsParams,
) -> Vec<SandboxFunctionInfo> {
    let uri = params.text_document.uri;
    let Some((snapshot, analysis)) = session.analysis_with_functions(&uri).await else {
        return Vec::new();
    };
    let document = &snapshot.document;
    let lines = document.line_map(session.encoding());
    let selected: Vec<&SandboxFunction> = match params.position {
        None => analysis.functions().iter().collect(),
        Some(position) => innermost_at(&analysis, from_proto::offset(position, lines))
            .into_iter()
            .collect(),
    };
    selected
        .into_iter()
        .map(|function| info(&uri, document, lines, function))
        .collect()
}

/// The innermost function whose statement (decorators to body) holds `offset`.
fn innermost_at(
    analysis: &DocumentAnalysis,
    offset: aviato_analysis::text::TextSize,
) -> Option<&SandboxFunction> {
    analysis
        .functions()
        .iter()
        .filter(|function| function.facts.statement_range.contains_inclusive(offset))
        .min_by_key(|function| function.facts.statement_range.len())
}

fn info(
    uri: &Uri,
    document: &TextDocument,
    lines: LineMap<'_>,
    function: &SandboxFunction,
) -> SandboxFunctionInfo {
    let facts = &function.facts;
    let line = document.line_number(facts.name_range.start());
    let signature = Signature::parse(&document.text()[facts.signature_range]);
    // A header that does not parse on its own still has the names the analysis
    // found; each is taken to be required.
    let parameters = signature.as_ref().map_or_else(
        || {
            facts
                .parameters
                .iter()
                .map(|name| crate::signature::Parameter {
                    name: name.clone(),
                    kind: crate::signature::ParameterKind::PositionalOrKeyword,
                    annotation: None,
                    default: None,
                })
                .collect()
        },
        |signature| signature.parameters.clone(),
    );
    let signature = signature.unwrap_or_else(|| Signature {
        name: facts.name.clone(),
        parameters: parameters.clone(),
    });
    let call_sites: Vec<CallSiteInfo> = facts
        .call_sites
        .iter()
        .map(|site| CallSiteInfo {
            range: to_proto::range(site.range, lines),
            line: document.line_number(site.range.start()),
            text: document.text()[site.range].to_string(),
            kind: match site.kind {
                aviato_analysis::CallSiteKind::Direct => "direct",
                aviato_analysis::CallSiteKind::Remote => "remote",
                aviato_analysis::CallSiteKind::Map => "map",
            },
            usable: usable_call_site(facts, site),
            arguments: site.arguments.as_ref().ok().cloned(),
            not_static: site.arguments.as_ref().err().cloned(),
        })
        .collect();
    let default_call_site = call_sites
        .iter()
        .find(|site| site.usable)
        .map(|site| site.line);
    let needs_arguments = signature.needs_arguments();
    SandboxFunctionInfo {
        name: facts.name.clone(),
        line,
        range: to_proto::range(facts.statement_range, lines),
        name_range: to_proto::range(facts.name_range, lines),
        signature: signature.display(),
        example_arguments: signature.example_arguments(),
        parameters,
        needs_arguments,
        runs_without_arguments: !needs_arguments || default_call_site.is_some(),
        default_call_site,
        call_sites,
        cannot_run: function.blocked_by.as_ref().map(|blocked| CannotRun {
            code: blocked.rule.code().to_string(),
            message: blocked.message.clone(),
        }),
        run: FunctionArguments {
            uri: uri.clone(),
            function: facts.name.clone(),
            line,
        },
    }
}
