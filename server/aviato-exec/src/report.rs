//! How an outcome reads: the one-line `summary` a lens or a status line shows, and
//! the `report` an output panel shows, made once here so that no client words them.

use std::time::Duration;

use crate::{Limit, Outcome, OutcomeKind};

/// Longest value or message shown on one line before it is cut with `…`.
const CLIP: usize = 60;

/// What `describe` needs to know of the run beside its outcome.
pub struct RunDescription<'a> {
    /// The function's name.
    pub function: &'a str,
    /// The arguments typed for it, if any (`2, 3`).
    pub args: Option<&'a str>,
    /// The run's wall-clock limit.
    pub timeout: Duration,
    /// The file's text, for the source lines of the traceback.
    pub source: &'a str,
}

impl Outcome {
    /// Fills `summary` and `report`.
    pub fn describe(&mut self, run: &RunDescription<'_>) {
        self.summary = summary(self, run.timeout);
        self.report = report(self, run);
    }

    /// `ValueError: x must be non-negative`, or `ValueError` without a message: the
    /// exception raised, when the outcome has it; what the SDK reports of it is in
    /// the note.
    pub fn exception_line(&self) -> String {
        let (kind, message) = match &self.real_exception_type {
            Some(kind) => (Some(kind), &self.real_exception_message),
            None => (self.exception_type.as_ref(), &self.exception_message),
        };
        let kind = kind.map_or("Exception", String::as_str);
        match message.as_deref() {
            Some(message) if !message.is_empty() => format!("{kind}: {message}"),
            _ => kind.to_owned(),
        }
    }
}

/// `✓ 5 · 84 ms`, `✗ ValueError: x must be non-negative`, `⏱ timed out after 30 s`.
fn summary(outcome: &Outcome, timeout: Duration) -> String {
    let message = outcome.message.as_deref().unwrap_or_default();
    match outcome.outcome {
        OutcomeKind::Ok => format!(
            "✓ {} · {} ms",
            clip(outcome.value_repr.as_deref().unwrap_or("None")),
            outcome.duration_ms
        ),
        OutcomeKind::Raised => format!("✗ {}", clip(&outcome.exception_line())),
        OutcomeKind::Timeout if outcome.limit == Some(Limit::Time) => {
            format!("⏱ timed out after {} s", seconds(timeout))
        }
        OutcomeKind::Timeout => format!("⏱ {}", clip(message)),
        OutcomeKind::Killed => format!("✗ {}", clip(message)),
        OutcomeKind::Refused => match &outcome.code {
            Some(code) => format!("⊘ cannot run ({code}): {}", clip(message)),
            None => format!("⊘ cannot run: {}", clip(message)),
        },
        OutcomeKind::Error => format!("⚠ {}", clip(message)),
    }
}

/// A Python-style account of the run: the call and how it ended (and where it
/// ran), what ended it, the traceback with each frame's source line (most recent
/// call last) and the exception, or the value; the notes; where output was cut.
fn report(outcome: &Outcome, run: &RunDescription<'_>) -> String {
    let call = match (run.args, outcome.call_site) {
        (Some(args), _) => format!("{}({args})", run.function),
        (None, Some(line)) => format!("{} · call site line {line}", run.function),
        (None, None) => format!("{}()", run.function),
    };
    let python = outcome
        .python_version
        .as_ref()
        .map(|version| format!("Python {version}"))
        .or_else(|| outcome.interpreter.clone());
    let place: Vec<String> = [
        outcome
            .backend
            .as_ref()
            .map(|name| format!("{name} backend")),
        outcome.image.clone(),
        python,
    ]
    .into_iter()
    .flatten()
    .collect();
    let place = if place.is_empty() {
        String::new()
    } else {
        format!(" ({})", place.join(", "))
    };
    let mut lines = vec![format!("{call} {}{place}", ending(outcome, run.timeout))];

    if let Some(message) = &outcome.message
        && !matches!(outcome.outcome, OutcomeKind::Ok | OutcomeKind::Raised)
        && !outcome.cancelled
    {
        lines.push(String::new());
        lines.push(message.clone());
    }
    // A memory limit, or a timeout after the function raised, keeps the exception.
    if outcome.exception_type.is_some()
        || outcome.real_exception_type.is_some()
        || !outcome.traceback.is_empty()
    {
        lines.push(String::new());
        lines.push("Traceback (most recent call last):".to_owned());
        for frame in &outcome.traceback {
            lines.push(format!(
                "  File \"{}\", line {}, in {}",
                frame.file, frame.line, frame.function
            ));
            if let Some(text) = run
                .source
                .lines()
                .nth(frame.line.saturating_sub(1) as usize)
                && !text.trim().is_empty()
            {
                lines.push(format!("    {}", text.trim()));
            }
        }
        lines.push(outcome.exception_line());
    } else if let Some(repr) = &outcome.value_repr {
        lines.push(String::new());
        lines.push(match outcome.value_type.as_deref() {
            Some(kind) if kind != "NoneType" => format!("{repr} ({kind})"),
            _ => repr.clone(),
        });
    }
    let notes: Vec<&str> = outcome
        .note
        .iter()
        .flat_map(|note| note.lines())
        .filter(|line| !line.trim().is_empty())
        .collect();
    if !notes.is_empty() {
        lines.push(String::new());
        lines.extend(notes.iter().map(|note| format!("note: {note}")));
    }
    for (stream, cut, kept) in [
        ("stdout", outcome.stdout_truncated, outcome.stdout.len()),
        ("stderr", outcome.stderr_truncated, outcome.stderr.len()),
    ] {
        if cut {
            lines.push(format!(
                "{stream} was cut at {} KiB: the rest was dropped",
                kept / 1024
            ));
        }
    }
    let mut report = lines.join("\n");
    report.push('\n');
    report
}

/// `returned in 84 ms`, `raised ValueError in 12 ms`, `timed out after 30 s`.
fn ending(outcome: &Outcome, timeout: Duration) -> String {
    let ms = outcome.duration_ms;
    match outcome.outcome {
        OutcomeKind::Ok => format!("returned in {ms} ms"),
        OutcomeKind::Raised => format!(
            "raised {} in {ms} ms",
            outcome
                .real_exception_type
                .as_deref()
                .or(outcome.exception_type.as_deref())
                .unwrap_or("an exception")
        ),
        OutcomeKind::Refused => match &outcome.code {
            Some(code) => format!("was refused ({code})"),
            None => "was refused".to_owned(),
        },
        OutcomeKind::Timeout if outcome.limit == Some(Limit::Time) => {
            format!("timed out after {} s", seconds(timeout))
        }
        OutcomeKind::Timeout => "timed out".to_owned(),
        OutcomeKind::Killed if outcome.cancelled => {
            format!("was {}", outcome.message.as_deref().unwrap_or("cancelled"))
        }
        OutcomeKind::Killed => format!("was killed in {ms} ms"),
        OutcomeKind::Error => "could not run".to_owned(),
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

/// The text on one line, cut to 60 characters.
pub fn clip(text: &str) -> String {
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
    use crate::Frame;

    const SOURCE: &str = "def check(x):\n    if x < 0:\n        raise ValueError(x)\n";

    fn described(mut outcome: Outcome, args: Option<&str>) -> Outcome {
        outcome.describe(&RunDescription {
            function: "check",
            args,
            timeout: Duration::from_secs(30),
            source: SOURCE,
        });
        outcome
    }

    #[test]
    fn summaries() {
        let ok = Outcome {
            value_repr: Some("5".to_owned()),
            duration_ms: 84,
            ..Outcome::new(OutcomeKind::Ok)
        };
        assert_eq!(described(ok, None).summary, "✓ 5 · 84 ms");
        let raised = Outcome {
            exception_type: Some("ValueError".to_owned()),
            exception_message: Some("x must be non-negative".to_owned()),
            ..Outcome::new(OutcomeKind::Raised)
        };
        assert_eq!(
            described(raised, None).summary,
            "✗ ValueError: x must be non-negative"
        );
        let timeout = Outcome::over_limit(OutcomeKind::Timeout, Limit::Time, "wall-clock");
        assert_eq!(described(timeout, None).summary, "⏱ timed out after 30 s");
        assert_eq!(seconds(Duration::from_millis(2500)), "2.5");
        let refused = Outcome::refused(Some("AV101"), "async");
        assert_eq!(
            described(refused, None).summary,
            "⊘ cannot run (AV101): async"
        );
        assert_eq!(described(Outcome::cancelled(), None).summary, "✗ cancelled");
        let long = clip(&format!("[{}]", "1, ".repeat(100)));
        assert_eq!(long.chars().count(), CLIP);
        assert_eq!(clip("a\n   b"), "a b");
    }

    #[test]
    fn reports() {
        let raised = Outcome {
            real_exception_type: Some("ValueError".to_owned()),
            real_exception_message: Some("-1".to_owned()),
            exception_type: Some("ValueError".to_owned()),
            traceback: vec![Frame {
                file: "app.py".to_owned(),
                line: 3,
                function: "check".to_owned(),
            }],
            duration_ms: 12,
            backend: Some("local".to_owned()),
            python_version: Some("3.11.2".to_owned()),
            note: Some("first\nsecond".to_owned()),
            stdout: "x".repeat(2048),
            stdout_truncated: true,
            ..Outcome::new(OutcomeKind::Raised)
        };
        assert_eq!(
            described(raised, Some("-1")).report,
            "check(-1) raised ValueError in 12 ms (local backend, Python 3.11.2)\n\n\
             Traceback (most recent call last):\n  File \"app.py\", line 3, in check\n    \
             raise ValueError(x)\nValueError: -1\n\nnote: first\nnote: second\n\
             stdout was cut at 2 KiB: the rest was dropped\n"
        );
        let memory = Outcome {
            call_site: Some(9),
            ..Outcome::over_limit(
                OutcomeKind::Killed,
                Limit::Memory,
                "memory limit of 64 MiB reached",
            )
        };
        assert_eq!(
            described(memory, None).report,
            "check · call site line 9 was killed in 0 ms\n\nmemory limit of 64 MiB reached\n"
        );
        let ok = Outcome {
            value_repr: Some("[1]".to_owned()),
            value_type: Some("list".to_owned()),
            ..Outcome::new(OutcomeKind::Ok)
        };
        assert_eq!(
            described(ok, None).report,
            "check() returned in 0 ms\n\n[1] (list)\n"
        );
        assert_eq!(
            described(Outcome::cancelled(), None).report,
            "check() was cancelled\n"
        );
    }
}
