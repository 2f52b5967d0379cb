//! The runner and the local backend reproduce what the SDK's client would receive.
//! Expectations follow `sdk-semantics.md` and were confirmed with the SDK oracle.

use aviato_exec::{
    Backend, CancellationToken, Frame, Limits, LocalBackend, Outcome, OutcomeKind, Payload,
    Serialization,
};
use serde_json::json;

const FILE: &str = "/home/user/project/app.py";

/// A payload whose function starts at `first_line` of the user's file.
fn payload(first_line: usize, source: &str) -> Payload {
    let name = source
        .split_once("def ")
        .and_then(|(_, rest)| rest.split_once('('))
        .map(|(name, _)| name.trim().to_owned())
        .expect("the source defines a function");
    let padded = format!("{}{source}", "\n".repeat(first_line - 1));
    Payload::new(FILE, name, padded)
}

async fn run(payload: &Payload) -> Outcome {
    let limits = Limits {
        timeout: std::time::Duration::from_secs(20),
        ..Limits::default()
    };
    LocalBackend::default()
        .run(payload, &limits, CancellationToken::new())
        .await
}

async fn value(payload: &Payload) -> (String, serde_json::Value, String) {
    let outcome = run(payload).await;
    assert_eq!(outcome.outcome, OutcomeKind::Ok, "{outcome:#?}");
    (
        outcome.value_repr.unwrap(),
        outcome.value_json.unwrap_or(serde_json::Value::Null),
        outcome.value_type.unwrap(),
    )
}

#[tokio::test]
async fn returns_values_of_each_json_type() {
    let mut call = payload(3, "def echo(value):\n    return value\n");
    for (args, repr, json, type_name) in [
        ("5", "5", json!(5), "int"),
        ("-2.5", "-2.5", json!(-2.5), "float"),
        ("'héllo'", "'héllo'", json!("héllo"), "str"),
        ("True", "True", json!(true), "bool"),
        ("None", "None", json!(null), "NoneType"),
        (
            "[1, 'a', None]",
            "[1, 'a', None]",
            json!([1, "a", null]),
            "list",
        ),
        (
            "{'k': {'n': [1.5]}}",
            "{'k': {'n': [1.5]}}",
            json!({"k": {"n": [1.5]}}),
            "dict",
        ),
    ] {
        call.args_source = args.to_owned();
        let got = value(&call).await;
        assert_eq!(got, (repr.to_owned(), json, type_name.to_owned()), "{args}");
    }
}

#[tokio::test]
async fn the_doc_example_adds_captured_globals_and_closures() {
    let mut call = payload(10, "def compute(x):\n    return x * MULTIPLIER + offset\n");
    call.captures = vec![
        ("MULTIPLIER".to_owned(), "10".to_owned()),
        ("offset".to_owned(), "5".to_owned()),
    ];
    call.args_source = "3".to_owned();
    assert_eq!(value(&call).await.0, "35");
}

#[tokio::test]
async fn json_mode_returns_a_tuple_as_a_list() {
    let call = payload(1, "def pair():\n    return (1, 'two')\n");
    let (repr, json, type_name) = value(&call).await;
    assert_eq!((repr.as_str(), type_name.as_str()), ("[1, 'two']", "list"));
    assert_eq!(json, json!([1, "two"]));
}

#[tokio::test]
async fn json_mode_cannot_return_a_set() {
    let call = payload(4, "def unique(items):\n    return set(items)\n");
    let mut call = call;
    call.args_source = "[1, 1, 2]".to_owned();
    let outcome = run(&call).await;
    assert_eq!(outcome.outcome, OutcomeKind::Raised);
    assert_eq!(outcome.exception_type.as_deref(), Some("TypeError"));
    assert_eq!(
        outcome.exception_message.as_deref(),
        Some("Object of type set is not JSON serializable")
    );
    assert!(outcome.note.unwrap().contains("json.dump"));
}

#[tokio::test]
async fn json_mode_converts_captures_and_arguments_as_pydantic_does() {
    // Each line reports what the function received, as `type:repr`.
    let mut call = payload(
        1,
        "def seen(*args, **kwargs):\n    values = list(args) + [kwargs[k] for k in sorted(kwargs)] + [T, S, D, DT, DEC, P, B, K, NAN, DC, NT, E]\n    return [type(v).__name__ + ':' + repr(v) for v in values]\n",
    );
    call.captures = [
        ("T", "(1, (2, 3))"),
        ("S", "{3}"),
        ("D", "date(2024, 1, 2)"),
        (
            "DT",
            "datetime.datetime(2024, 1, 2, 3, 4, 5, tzinfo=datetime.timezone.utc)",
        ),
        ("DEC", "Decimal('1.50')"),
        ("P", "PosixPath('/data/x')"),
        ("B", "b'caf\\xc3\\xa9'"),
        ("K", "{1: 'a', 2.5: 'b', None: 'c', True: 'd'}"),
        ("NAN", "[float('nan'), inf]"),
        ("DC", "make_dataclass('Point', ['x', 'y'])(1, (2,))"),
        ("NT", "namedtuple('Pair', 'a b')(1, 2)"),
        ("E", "Enum('Color', [('RED', (1, 2))]).RED"),
    ]
    .map(|(name, source)| (name.to_owned(), source.to_owned()))
    .to_vec();
    call.args_source = "frozenset({'x'}), time(3, 4, 5), timedelta(days=1, hours=2, seconds=3), \
                        UUID(int=5), key=(1, 2)"
        .to_owned();
    let (_, json, _) = value(&call).await;
    assert_eq!(
        json,
        json!([
            "list:['x']",
            "str:'03:04:05'",
            "str:'P1DT2H3S'",
            "str:'00000000-0000-0000-0000-000000000005'",
            "list:[1, 2]",
            "list:[1, [2, 3]]",
            "list:[3]",
            "str:'2024-01-02'",
            "str:'2024-01-02T03:04:05Z'",
            "str:'1.50'",
            "str:'/data/x'",
            "str:'café'",
            "dict:{'1': 'd', '2.5': 'b', 'None': 'c'}",
            "list:[None, None]",
            "dict:{'x': 1, 'y': [2]}",
            "list:[1, 2]",
            "list:[1, 2]",
        ])
    );
}

#[tokio::test]
async fn json_mode_refuses_bytes_that_are_not_utf8() {
    let mut call = payload(1, "def size():\n    return len(BLOB)\n");
    call.captures = vec![("BLOB".to_owned(), "b'\\xff\\xfe'".to_owned())];
    let outcome = run(&call).await;
    assert_eq!(outcome.outcome, OutcomeKind::Refused, "{outcome:#?}");
    assert_eq!(outcome.code.as_deref(), Some("AV301"));
    assert_eq!(
        outcome.exception_type.as_deref(),
        Some("FunctionSerializationError")
    );
    let message = outcome.message.unwrap();
    assert!(message.contains("captured variable 'BLOB'"), "{message}");
    assert!(message.contains("invalid utf-8"), "{message}");
}

#[tokio::test]
async fn json_mode_refuses_types_pydantic_does_not_know() {
    let mut call = payload(1, "def third(x):\n    return x\n");
    call.args_source = "Fraction(1, 3)".to_owned();
    let outcome = run(&call).await;
    assert_eq!(outcome.outcome, OutcomeKind::Refused, "{outcome:#?}");
    assert_eq!(outcome.code, None);
    let message = outcome.message.unwrap();
    assert!(
        message.starts_with("argument 1 cannot be serialized in JSON mode"),
        "{message}"
    );
    assert!(message.contains("Unable to serialize unknown type: <class 'fractions.Fraction'>"));
}

#[tokio::test]
async fn pickle_mode_round_trips_stdlib_types() {
    let mut call = payload(
        1,
        "def shift(when, amount, tags):\n    return when + ONE_DAY, amount * 3, tags | {3}\n",
    );
    call.serialization = Serialization::Pickle;
    call.captures = vec![("ONE_DAY".to_owned(), "timedelta(days=1)".to_owned())];
    call.args_source = "datetime.datetime(2024, 1, 2, 3, 4, 5), Decimal('1.50'), {1, 2}".to_owned();
    let outcome = run(&call).await;
    assert_eq!(outcome.outcome, OutcomeKind::Ok, "{outcome:#?}");
    assert_eq!(
        outcome.value_repr.as_deref(),
        Some("(datetime.datetime(2024, 1, 3, 3, 4, 5), Decimal('4.50'), {1, 2, 3})")
    );
    assert_eq!(outcome.value_type.as_deref(), Some("tuple"));
    assert_eq!(outcome.value_json, None, "a tuple is not JSON");
}

#[tokio::test]
async fn pickle_mode_cannot_load_classes_of_the_user_s_script() {
    // sdk-semantics row 13: the client pickles them by reference to its `__main__`.
    let mut call = payload(1, "def use(config):\n    return repr(config)\n");
    call.serialization = Serialization::Pickle;
    for (class, literal) in [
        ("Config", "namedtuple('Config', 'lr')(0.1)"),
        ("Point", "make_dataclass('Point', ['x'])(1)"),
        ("Color", "Enum('Color', [('RED', 1)]).RED"),
    ] {
        call.args_source = literal.to_owned();
        let outcome = run(&call).await;
        assert_eq!(outcome.outcome, OutcomeKind::Raised, "{outcome:#?}");
        assert_eq!(outcome.exception_type.as_deref(), Some("AttributeError"));
        assert_eq!(
            outcome.exception_message,
            Some(format!(
                "Can't get attribute '{class}' on <module '__main__' (built-in)>"
            ))
        );
    }
}

#[tokio::test]
async fn pickle_mode_sends_values_read_from_script_class_instances() {
    // The class is built once per instance; what is sent holds none of them.
    let mut call = payload(1, "def newest(dates):\n    return max(dates).isoformat()\n");
    call.serialization = Serialization::Pickle;
    call.args_source = "[c.released for c in [namedtuple('Card', 'released')(datetime.date(2024, 1, 3)), namedtuple('Card', 'released')(datetime.date(2024, 6, 1))]]".to_owned();
    let outcome = run(&call).await;
    assert_eq!(outcome.outcome, OutcomeKind::Ok, "{outcome:#?}");
    assert_eq!(outcome.value_repr.as_deref(), Some("'2024-06-01'"));
}

#[tokio::test]
async fn json_mode_turns_a_captured_decimal_into_a_string() {
    // sdk-semantics row 15: `Decimal * 3` becomes string repetition.
    let mut call = payload(1, "def triple():\n    return PRICE * 3\n");
    call.captures = vec![("PRICE".to_owned(), "Decimal('1.5')".to_owned())];
    assert_eq!(value(&call).await.0, "'1.51.51.5'");
    call.serialization = Serialization::Pickle;
    assert_eq!(value(&call).await.0, "Decimal('4.5')");
}

#[tokio::test]
async fn raised_exceptions_keep_their_message_and_the_file_s_lines() {
    let call = payload(
        20,
        "def check(n):\n    if n < 0:\n        fail(n)\n    return n\n\ndef fail(n):\n    raise ValueError(f'negative: {n}')\n",
    );
    let mut call = call;
    call.function_name = "check".to_owned();
    call.args_source = "-4".to_owned();
    let outcome = run(&call).await;
    assert_eq!(outcome.outcome, OutcomeKind::Raised, "{outcome:#?}");
    assert_eq!(outcome.exception_type.as_deref(), Some("ValueError"));
    assert_eq!(outcome.exception_message.as_deref(), Some("negative: -4"));
    assert_eq!(
        outcome.traceback,
        vec![
            Frame {
                file: FILE.to_owned(),
                line: 22,
                function: "check".to_owned()
            },
            Frame {
                file: FILE.to_owned(),
                line: 26,
                function: "fail".to_owned()
            },
        ]
    );
    assert_eq!(outcome.note, None);
}

#[tokio::test]
async fn a_nested_function_is_dedented_and_keeps_its_lines() {
    let call = payload(7, "    def inner(x):\n        return 1 / x\n");
    let mut call = call;
    call.args_source = "0".to_owned();
    let outcome = run(&call).await;
    assert_eq!(outcome.exception_type.as_deref(), Some("ZeroDivisionError"));
    assert_eq!(outcome.traceback[0].line, 8);
}

#[tokio::test]
async fn a_user_exception_class_is_reported_by_its_name() {
    let call = payload(
        1,
        "def explode():\n    class Boom(Exception):\n        pass\n    raise Boom('bang')\n",
    );
    let outcome = run(&call).await;
    assert_eq!(outcome.outcome, OutcomeKind::Raised);
    // The SDK's stderr parser only knows names ending in Error or Exception.
    assert_eq!(outcome.exception_type, None);
    assert_eq!(outcome.exception_message.as_deref(), Some("bang"));
    assert_eq!(outcome.real_exception_type.as_deref(), Some("Boom"));
    assert_eq!(outcome.real_exception_message.as_deref(), Some("bang"));
    assert!(outcome.note.unwrap().contains("exception_type None"));
}

#[tokio::test]
async fn a_message_less_exception_is_reported_with_what_the_sdk_loses() {
    let call = payload(1, "def refuse():\n    raise PermissionError\n");
    let outcome = run(&call).await;
    // The traceback's last line is `PermissionError`, with no `: `.
    assert_eq!(outcome.exception_type, None);
    assert_eq!(outcome.exception_message.as_deref(), Some(""));
    assert_eq!(
        outcome.real_exception_type.as_deref(),
        Some("PermissionError")
    );
    assert!(outcome.note.unwrap().contains("exception_type None"));
}

#[tokio::test]
async fn a_module_imported_at_the_top_is_a_name_error() {
    let call = payload(5, "def root(x):\n    return math.sqrt(x)\n");
    let mut call = call;
    call.args_source = "4".to_owned();
    let outcome = run(&call).await;
    assert_eq!(outcome.exception_type.as_deref(), Some("NameError"));
    assert_eq!(
        outcome.exception_message.as_deref(),
        Some("name 'math' is not defined")
    );
    assert_eq!(outcome.traceback.last().unwrap().line, 6);
}

#[tokio::test]
async fn a_kept_decorator_fails_when_the_function_is_defined() {
    let call = payload(3, "@retry(3)\ndef flaky():\n    return 1\n");
    let outcome = run(&call).await;
    assert_eq!(outcome.outcome, OutcomeKind::Raised);
    // Outside the SDK's `try`, the interpreter's own hook prints the traceback, and
    // it adds a suggestion; `str()` of the exception has none.
    assert_eq!(
        outcome.exception_message.as_deref(),
        Some("name 'retry' is not defined. Did you mean: 'repr'?")
    );
    assert_eq!(
        outcome.real_exception_message.as_deref(),
        Some("name 'retry' is not defined")
    );
    assert_eq!(
        outcome.traceback,
        vec![Frame {
            file: FILE.to_owned(),
            line: 3,
            function: "<module>".to_owned()
        }]
    );
    assert!(outcome.note.unwrap().contains("defining the function"));
}

#[tokio::test]
async fn a_decorator_that_returns_none_leaves_nothing_to_call() {
    let mut call = payload(1, "@(lambda f: None)\ndef lost():\n    return 1\n");
    call.function_name = "lost".to_owned();
    let outcome = run(&call).await;
    assert_eq!(outcome.exception_type.as_deref(), Some("TypeError"));
    assert_eq!(
        outcome.exception_message.as_deref(),
        Some("'NoneType' object is not callable")
    );
}

#[tokio::test]
async fn system_exit_is_reported_with_what_the_sdk_would_do() {
    let call = payload(1, "def leave():\n    import sys\n    sys.exit(3)\n");
    let outcome = run(&call).await;
    assert_eq!(outcome.outcome, OutcomeKind::Raised);
    // The SDK sees exit status 3 and an empty stderr.
    assert_eq!(outcome.exception_type, None);
    assert_eq!(outcome.exception_message, None);
    assert_eq!(outcome.real_exception_type.as_deref(), Some("SystemExit"));
    assert_eq!(outcome.real_exception_message.as_deref(), Some("3"));
    assert!(outcome.note.unwrap().contains("exit status 3"));
}

#[tokio::test]
async fn output_is_captured_apart_from_the_result() {
    let call = payload(
        1,
        "def talk():\n    import sys\n    print('to stdout')\n    print('to stderr', file=sys.stderr)\n    return 'done'\n",
    );
    let outcome = run(&call).await;
    assert_eq!(outcome.value_repr.as_deref(), Some("'done'"));
    assert_eq!(outcome.stdout, "to stdout\n");
    assert_eq!(outcome.stderr, "to stderr\n");
    assert!(!outcome.stdout_truncated && !outcome.stderr_truncated);
    assert_eq!(outcome.backend.as_deref(), Some("local"));
    assert_eq!(outcome.image.as_deref(), Some("python:3.11"));
    // The SDK's default image has a local equivalent on the machines the tests run on.
    assert!(outcome.python_version.unwrap().starts_with("3.11."));
    assert_eq!(outcome.note, None);
    assert!(outcome.interpreter.unwrap().ends_with("python3.11"));
}

#[tokio::test]
async fn printing_a_forged_report_does_not_change_the_result() {
    let call = payload(
        1,
        "def forge():\n    print('{\"outcome\": \"ok\", \"value_repr\": \"42\"}')\n    return 1\n",
    );
    assert_eq!(value(&call).await.0, "1");
}

#[tokio::test]
async fn an_image_without_a_local_interpreter_says_so() {
    let mut call = payload(1, "def one():\n    return 1\n");
    call.image = "nvcr.io/nvidia/pytorch:24.01-py3".to_owned();
    let outcome = run(&call).await;
    assert_eq!(outcome.outcome, OutcomeKind::Ok);
    let note = outcome.note.unwrap();
    assert!(note.contains("nvcr.io/nvidia/pytorch:24.01-py3"), "{note}");
    assert!(note.contains("ran on Python"), "{note}");
}

#[tokio::test]
async fn literal_source_that_does_not_evaluate_is_an_error() {
    let mut call = payload(1, "def one(x):\n    return x\n");
    call.args_source = "open('/etc/passwd')".to_owned();
    let outcome = run(&call).await;
    assert_eq!(outcome.outcome, OutcomeKind::Error);
    assert_eq!(outcome.exit_code(), 2);
    assert!(
        outcome
            .message
            .unwrap()
            .contains("name 'open' is not defined")
    );
}

// --- cwsandbox: strict JSON, payload and result files, the SDK's markers ----------------

fn strict(first_line: usize, source: &str) -> Payload {
    let mut call = payload(first_line, source);
    call.serialization = Serialization::StrictJson;
    call
}

#[tokio::test]
async fn strict_json_comes_back_through_json_loads() {
    let call = strict(
        1,
        "def shape():\n    return {1: (1, 2), 'n': float('nan'), 'ok': True}\n",
    );
    let outcome = run(&call).await;
    assert_eq!(outcome.outcome, OutcomeKind::Ok, "{outcome:#?}");
    // Keys come back as strings, tuples as lists, NaN passes.
    assert_eq!(
        outcome.value_repr.as_deref(),
        Some("{'1': [1, 2], 'n': nan, 'ok': True}")
    );
}

#[tokio::test]
async fn strict_json_refuses_on_the_client_with_the_sdks_messages() {
    let mut call = strict(1, "def echo(value):\n    return value\n");
    call.args_source = "{1, 2}".to_owned();
    let outcome = run(&call).await;
    assert_eq!(outcome.outcome, OutcomeKind::Refused, "{outcome:#?}");
    assert_eq!(outcome.exception_type.as_deref(), Some("TypeError"));
    assert_eq!(
        outcome.exception_message.as_deref(),
        Some(
            "Function arguments are not JSON-serializable: Object of type set is not JSON serializable"
        )
    );
    assert!(outcome.message.unwrap().contains("argument 1"));

    let mut call = strict(1, "def status():\n    return STATUS[200]\n");
    call.captures = vec![("STATUS".to_owned(), "{'a': [{200: 'ok'}]}".to_owned())];
    let outcome = run(&call).await;
    assert_eq!(outcome.outcome, OutcomeKind::Refused, "{outcome:#?}");
    assert_eq!(outcome.code.as_deref(), Some("AV306"));
    assert_eq!(
        outcome.exception_message.as_deref(),
        Some(
            "Function payload contains a dict with non-string keys: closure_vars['STATUS']['a'][0] (key 200 has type int)"
        )
    );
}

#[tokio::test]
async fn strict_json_marks_a_return_value_json_dump_refuses() {
    let call = strict(1, "def labels():\n    return {'a', 'b'}\n");
    let outcome = run(&call).await;
    assert_eq!(outcome.outcome, OutcomeKind::Raised, "{outcome:#?}");
    // RESULT_SERIALIZATION_ERROR:TypeError:..., as the SDK's client reads it.
    assert_eq!(outcome.exception_type.as_deref(), Some("TypeError"));
    assert_eq!(
        outcome.exception_message.as_deref(),
        Some("return value is not JSON-serializable: Object of type set is not JSON serializable")
    );
    assert_eq!(
        outcome.real_exception_message.as_deref(),
        Some("Object of type set is not JSON serializable")
    );
}

#[tokio::test]
async fn strict_json_goes_through_payload_and_result_files() {
    let call = strict(
        1,
        "def files():\n    import os\n    return sorted(n.split('_')[1] + ':' + str(len(n)) for n in os.listdir('/tmp') if n.startswith('sandbox_'))\n",
    );
    let outcome = run(&call).await;
    assert_eq!(outcome.outcome, OutcomeKind::Ok, "{outcome:#?}");
    // `sandbox_payload_<32 hex digits>.json`; the result file is written afterwards.
    assert_eq!(outcome.value_repr.as_deref(), Some("['payload:53']"));
}

#[tokio::test]
async fn strict_json_system_exit_zero_leaves_no_result_file() {
    let call = strict(1, "def leave():\n    raise SystemExit(0)\n");
    let outcome = run(&call).await;
    assert_eq!(outcome.outcome, OutcomeKind::Raised, "{outcome:#?}");
    assert_eq!(outcome.exception_type.as_deref(), Some("SystemExit"));
    assert!(outcome.note.unwrap().contains("SandboxFileError"));
}

#[tokio::test]
async fn a_map_item_that_is_not_a_tuple_fails_in_map_itself() {
    let mut call = strict(1, "def square(x):\n    return x * x\n");
    call.args_source = "[(3,), 4]".to_owned();
    call.map_item = Some(1);
    let outcome = run(&call).await;
    assert_eq!(outcome.outcome, OutcomeKind::Refused, "{outcome:#?}");
    assert_eq!(
        outcome.exception_message.as_deref(),
        Some(
            "cwsandbox._function.RemoteFunction.remote() argument after * must be an iterable, not int"
        )
    );
    assert_eq!(outcome.map_items, Some(2));
    call.map_item = Some(0);
    assert_eq!(run(&call).await.value_repr.as_deref(), Some("9"));
}

// --- What the SDK's client reports, parsed from stderr --------------------------------

#[tokio::test]
async fn the_sdk_reports_a_chained_cause_whose_name_it_recognises() {
    let call = payload(
        1,
        "def halt():\n    class Halt(Exception):\n        pass\n    try:\n        {}['k']\n    except KeyError as error:\n        raise Halt('stop') from error\n",
    );
    let outcome = run(&call).await;
    assert_eq!(outcome.exception_type.as_deref(), Some("KeyError"));
    assert_eq!(outcome.exception_message.as_deref(), Some("'k'"));
    assert_eq!(outcome.real_exception_type.as_deref(), Some("Halt"));
    assert_eq!(outcome.real_exception_message.as_deref(), Some("stop"));
    let note = outcome.note.unwrap();
    assert!(note.contains("won over"), "{note}");
    assert!(!note.contains("exception_type None"), "{note}");
}

#[tokio::test]
async fn the_sdk_reads_an_error_printed_earlier_and_a_log_line() {
    let call = strict(
        1,
        "def noisy():\n    import sys, logging\n    print('ZeroDivisionError: division by zero', file=sys.stderr)\n    class Halt(Exception):\n        pass\n    raise Halt('gave up')\n",
    );
    let outcome = run(&call).await;
    assert_eq!(outcome.exception_type.as_deref(), Some("ZeroDivisionError"));
    assert_eq!(outcome.exception_message.as_deref(), Some("gave up"));
    assert_eq!(outcome.real_exception_type.as_deref(), Some("Halt"));

    let call = strict(
        1,
        "def logged():\n    import logging\n    logging.error('TimeoutError: upstream slow')\n    raise ValueError('bad input')\n",
    );
    let outcome = run(&call).await;
    // The traceback's last line comes after the log line, and wins.
    assert_eq!(outcome.exception_type.as_deref(), Some("ValueError"));
    assert_eq!(outcome.exception_message.as_deref(), Some("bad input"));
    assert_eq!(outcome.note, None);
}

#[tokio::test]
async fn the_sdk_keeps_the_first_line_of_a_message() {
    let call = strict(
        1,
        "def long():\n    raise ValueError('line one\\nline two')\n",
    );
    let outcome = run(&call).await;
    assert_eq!(outcome.exception_type.as_deref(), Some("ValueError"));
    assert_eq!(outcome.exception_message.as_deref(), Some("line one"));
    assert_eq!(
        outcome.real_exception_message.as_deref(),
        Some("line one\nline two")
    );
    assert!(outcome.note.unwrap().contains("first line"));
}
