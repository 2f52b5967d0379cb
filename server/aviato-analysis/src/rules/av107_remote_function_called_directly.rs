use ruff_text_size::{Ranged, TextRange};

use crate::checker::Checker;
use crate::diagnostic::Edit;
use crate::rules::Rule;
use crate::semantic::{CallContext, CallRecord};

/// AV107: cwsandbox's decorated object is a `RemoteFunction`, which cannot be called.
pub(crate) fn check(checker: &mut Checker, record: &CallRecord) {
    let name = record.name;
    let awaited = record.context == CallContext::Awaited;
    let mut edits = vec![Edit {
        range: record.call.func.range(),
        content: format!("{name}.remote"),
    }];
    if !awaited {
        edits.push(Edit {
            range: TextRange::empty(record.call.end()),
            content: ".result()".into(),
        });
    }
    let suggestion = if awaited {
        format!("await {name}.remote(...)")
    } else {
        format!("{name}.remote(...).result()")
    };
    checker
        .report(
            Rule::RemoteFunctionCalledDirectly,
            record.call.range(),
            format!(
                "`{name}` is a `RemoteFunction`, not a function: calling it raises `TypeError: 'RemoteFunction' object is not callable`; use `{suggestion}`"
            ),
        )
        .with_fix(format!("Use `{suggestion}`"), edits);
}
