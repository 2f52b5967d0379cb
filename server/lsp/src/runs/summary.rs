//! How an outcome reads in a lens title, an inlay hint or a log line.

use std::time::Duration;

use aviato_exec::{Outcome, OutcomeKind};

/// Longest value or message shown on one line before it is cut with `…`.
const CLIP: usize = 60;

/// `ValueError: x must be non-negative`, or `ValueError` without a message.
/// The exception raised, when the outcome has it; what the SDK reports of it is
/// in the note.
pub(crate) fn exception(outcome: &Outcome) -> String {
    let (kind, message) = match &outcome.real_exception_type {
        Some(kind) => (Some(kind), &outcome.real_exception_message),
        None => (outcome.exception_type.as_ref(), &outcome.exception_message),
    };
    let kind = kind.map_or("Exception", String::as_str);
    match message.as_deref() {
        Some(message) if !message.is_empty() => format!("{kind}: {message}"),
        _ => kind.to_string(),
    }
}

/// The title of a function's lens after a run: `✓ 5 · 84 ms`,
/// `✗ ValueError: x must be non-negative`, `⏱ timed out after 30 s`.
pub(crate) fn lens_title(outcome: &Outcome, timeout: Duration) -> String {
    let message = outcome.message.as_deref().unwrap_or_default();
    match outcome.outcome {
        OutcomeKind::Ok => format!(
            "✓ {} · {} ms",
            clip(outcome.value_repr.as_deref().unwrap_or("None")),
            outcome.duration_ms
        ),
        OutcomeKind::Raised => format!("✗ {}", clip(&exception(outcome))),
        OutcomeKind::Timeout => format!("⏱ timed out after {} s", seconds(timeout)),
        OutcomeKind::Killed => format!("✗ {}", clip(message)),
        OutcomeKind::Refused => match &outcome.code {
            Some(code) => format!("⊘ cannot run ({code}): {}", clip(message)),
            None => format!("⊘ cannot run: {}", clip(message)),
        },
        OutcomeKind::Error => format!("⚠ {}", clip(message)),
    }
}

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
        OutcomeKind::Raised => format!("{function} raised {}", exception(outcome)),
        kind => format!("{function}: {}: {message}", kind.as_str()),
    }
}

/// `30`, `2.5`: seconds as a person writes them.
fn seconds(duration: Duration) -> String {
    let seconds = duration.as_secs_f64();
    if seconds.fract() == 0.0 {
        format!("{seconds:.0}")
    } else {
        format!("{seconds:.1}")
    }
}

/// The text on one line, cut to [`CLIP`] characters.
pub(crate) fn clip(text: &str) -> String {
    let line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if line.chars().count() <= CLIP {
        line
    } else {
        let mut clipped: String = line.chars().take(CLIP - 1).collect();
        clipped.push('…');
        clipped
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn outcome(kind: OutcomeKind) -> Outcome {
        Outcome::new(kind)
    }

    #[test]
    fn lens_titles() {
        let timeout = Duration::from_secs(30);
        let ok = Outcome {
            value_repr: Some("5".to_string()),
            duration_ms: 84,
            ..outcome(OutcomeKind::Ok)
        };
        assert_eq!(lens_title(&ok, timeout), "✓ 5 · 84 ms");
        let raised = Outcome {
            exception_type: Some("ValueError".to_string()),
            exception_message: Some("x must be non-negative".to_string()),
            ..outcome(OutcomeKind::Raised)
        };
        assert_eq!(
            lens_title(&raised, timeout),
            "✗ ValueError: x must be non-negative"
        );
        assert_eq!(
            lens_title(&outcome(OutcomeKind::Timeout), timeout),
            "⏱ timed out after 30 s"
        );
        assert_eq!(
            lens_title(&outcome(OutcomeKind::Timeout), Duration::from_millis(2500)),
            "⏱ timed out after 2.5 s"
        );
        let refused = Outcome::refused(Some("AV101"), "async");
        assert_eq!(lens_title(&refused, timeout), "⊘ cannot run (AV101): async");
    }

    #[test]
    fn values_are_clipped_to_one_line() {
        let long = Outcome {
            value_repr: Some(format!("[{}]", "1, ".repeat(100))),
            ..outcome(OutcomeKind::Ok)
        };
        let hint = value_hint(&long).unwrap();
        assert_eq!(hint.chars().count(), 2 + CLIP);
        assert!(hint.ends_with('…'));
        assert_eq!(clip("a\n   b"), "a b");
        assert_eq!(value_hint(&outcome(OutcomeKind::Raised)), None);
    }
}
