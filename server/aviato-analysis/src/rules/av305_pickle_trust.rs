use ruff_text_size::Ranged;

use crate::checker::Checker;
use crate::rules::Rule;
use crate::sandbox::{SandboxFunction, Serialization};

/// AV305: PICKLE mode makes the client unpickle what the sandbox returns.
pub(crate) fn check(checker: &mut Checker, function: &SandboxFunction) {
    if function.serialization != Serialization::Pickle {
        return;
    }
    let Some(keyword) = function.keyword("serialization") else {
        return;
    };
    checker.report(
        Rule::PickleTrust,
        keyword.range(),
        "PICKLE mode: the client unpickles what the sandbox returns, so code in the sandbox or its image can run code on this machine; use it only with trusted code and images".to_string(),
    );
}
