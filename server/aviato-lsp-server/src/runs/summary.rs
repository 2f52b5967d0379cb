//! How an outcome reads in an inlay hint or a log line (a lens shows its
//! `summary`).

pub(crate) use aviato_exec::clip;
use aviato_exec::{Outcome, OutcomeKind};

/// The inlay hint of a returned value: `→ 5`.
pub(crate) fn value_hint(outcome: &Outcome) -> Option<String> {
    (outcome.outcome == OutcomeKind::Ok).then(|| {
        format!(
            "→ {}",
            clip(outcome.value_repr.as_deref().unwrap_or("None"))
        )
    })
}

/// One line for the log: `add returned 5 in 84 ms`.
pub(crate) fn log_line(function: &str, outcome: &Outcome) -> String {
    let message = outcome.message.as_deref().unwrap_or_default();
    match outcome.outcome {
        OutcomeKind::Ok => format!(
            "{function} returned {} in {} ms",
            outcome.value_repr.as_deref().unwrap_or("None"),
            outcome.duration_ms
        ),
        OutcomeKind::Raised => format!("{function} raised {}", outcome.exception_line()),
        kind => format!("{function}: {}: {message}", kind.as_str()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn outcome(kind: OutcomeKind) -> Outcome {
        Outcome::new(kind)
    }

    #[test]
    fn values_are_clipped_to_one_line() {
        let long = Outcome {
            value_repr: Some(format!("[{}]", "1, ".repeat(100))),
            ..outcome(OutcomeKind::Ok)
        };
        let hint = value_hint(&long).unwrap();
        assert_eq!(hint.chars().count(), 2 + 60);
        assert!(hint.ends_with('…'));
        assert_eq!(value_hint(&outcome(OutcomeKind::Raised)), None);
    }
}
