//! `aviato-lsp run`: the value or the traceback, the JSON outcome, and the exit
//! codes (0 value, 1 raised / refused / timeout, 2 usage or infrastructure).

use crate::project::Project;
use std::path::Path;

const APP: &str = r#"import asyncio
import math

from aviato import Sandbox

SCALE = 10


async def main():
    async with Sandbox.session() as session:

        @session.function()
        def scaled(x, y=1):
            return (x + y) * SCALE, "done"

        @session.function()
        def checked(x):
            if x < 0:
                raise ValueError("x must be non-negative")
            return math.sqrt(x)

        @session.function()
        def spins():
            while True:
                pass

        @session.function()
        async def refused(x):
            return x

        print(await scaled(2, y=3), await checked(-1), await spins(), await refused(1))


asyncio.run(main())
"#;

fn project() -> Project {
    let project = Project::new();
    project.write("app.py", APP);
    project
}

/// The JSON outcome of `run app.py` for the call of `function` at `call_site`.
fn run_call(project: &Project, function: &str, call_site: u32) -> serde_json::Value {
    let line = call_site.to_string();
    json(&project.run(&[
        "run",
        "app.py",
        "--output-format",
        "json",
        "--function",
        function,
        "--call-site",
        &line,
    ]))
}

fn json(run: &crate::project::Run) -> serde_json::Value {
    serde_json::from_str(&run.stdout)
        .unwrap_or_else(|err| panic!("invalid JSON ({err}):\n{}", run.stdout))
}

#[test]
fn value_from_the_first_static_call_site() {
    let run = project().run(&["run", "app.py", "--function", "scaled"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    // JSON mode: the tuple arrives as a list.
    assert_eq!(run.stdout.trim(), "[50, 'done']");
    assert!(run.stderr.contains("the call at line 31"), "{}", run.stderr);
}

#[test]
fn json_outcome_with_arguments_from_the_command_line() {
    let run = project().run(&[
        "run",
        "app.py",
        "--function",
        "scaled",
        "--args",
        "1, y=1",
        "--output-format",
        "json",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let outcome = json(&run);
    assert_eq!(outcome["outcome"], "ok");
    assert_eq!(outcome["value_json"], serde_json::json!([20, "done"]));
    assert_eq!(outcome["value_type"], "list");
    assert_eq!(outcome["call_site"], serde_json::Value::Null);
    assert_eq!(outcome["backend"], "local");
}

#[test]
fn traceback_at_the_raising_line() {
    let run = project().run(&["run", "app.py", "--function", "checked", "--args", "-4"]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr.contains("File \"app.py\", line 19, in checked"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains("raise ValueError(\"x must be non-negative\")"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr
            .trim_end()
            .ends_with("ValueError: x must be non-negative"),
        "{}",
        run.stderr
    );

    let run = project().run(&[
        "run",
        "app.py",
        "--function",
        "checked",
        "--args",
        "4",
        "--output-format",
        "json",
    ]);
    let outcome = json(&run);
    // `math` is imported at the top only: the sandbox never has it.
    assert_eq!(outcome["outcome"], "raised");
    assert_eq!(outcome["exception_type"], "NameError");
    assert_eq!(outcome["exception_message"], "name 'math' is not defined");
    assert_eq!(outcome["traceback"][0]["line"], 20);
}

#[test]
fn refusals_name_the_rule() {
    let run = project().run(&[
        "run",
        "app.py",
        "--function",
        "refused",
        "--output-format",
        "json",
    ]);
    assert_eq!(run.code, 1);
    let outcome = json(&run);
    assert_eq!(outcome["outcome"], "refused");
    assert_eq!(outcome["code"], "AV101");
}

#[test]
fn timeout_stops_the_run() {
    let run = project().run(&[
        "run",
        "app.py",
        "--function",
        "spins",
        "--timeout",
        "1",
        "--output-format",
        "json",
    ]);
    assert_eq!(run.code, 1);
    let outcome = json(&run);
    assert_eq!(outcome["outcome"], "timeout");
    assert_eq!(outcome["limit"], "time");
    assert_eq!(outcome["cancelled"], false);
    assert_eq!(outcome["summary"], "⏱ timed out after 1 s");
    let report = outcome["report"].as_str().unwrap();
    assert!(
        report.starts_with("spins · call site line 31 timed out after 1 s (local backend"),
        "{report}"
    );
    assert!(
        report.ends_with("\n\nwall-clock limit of 1 s reached\n"),
        "{report}"
    );
}

#[test]
fn usage_errors_exit_2() {
    let project = project();
    for args in [
        &["run", "app.py", "--function", "missing"][..],
        &["run", "app.py", "--function", "scaled", "--args", "1, ("],
        &["run", "absent.py", "--function", "scaled"],
        &["run", "app.py", "--function", "scaled", "--timeout", "0"],
        &["run", "app.py"],
    ] {
        let run = project.run(args);
        assert_eq!(run.code, 2, "{args:?}: {}{}", run.stdout, run.stderr);
    }
}

#[test]
fn args_may_name_module_constants_the_file_fixes() {
    let constants = "SCALE, y=(SCALE, 1)[0]";
    let run = project().run(&["run", "app.py", "--function", "scaled", "--args", constants]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stdout.trim(), "[200, 'done']");

    let project = Project::new();
    project.write(
        "app.py",
        APP.replace("import math\n", "import math\nimport os\n")
            .replace("SCALE = 10", "SCALE = int(os.environ[\"SCALE\"])"),
    );
    let run = project.run(&["run", "app.py", "--function", "scaled", "--args", "SCALE"]);
    assert_eq!(run.code, 2, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stderr.contains("only static values are accepted"),
        "{}",
        run.stderr
    );
}

const CWSANDBOX_APP: &str = r#"from cwsandbox import SandboxDefaults, Session

LIMIT = 3


def main():
    with Session(SandboxDefaults(environment_variables={"STAGE": "dev"})) as session:

        @session.function()
        def square(x):
            if x > LIMIT:
                raise ValueError(f"{x} is over the limit\nsecond line")
            return x * x

        @session.function(environment_variables={"MODE": "fast"})
        def settings():
            import os

            return {1: os.environ.get("STAGE"), 2: os.environ.get("MODE")}

        print(square.remote(2).result())
        print([ref.result() for ref in square.map([(1,), (5,)])])
        print(settings.remote().result())
        print(square(2))


main()
"#;

#[test]
fn cwsandbox_runs_remote_calls_map_items_and_refuses_a_direct_call() {
    let project = Project::new();
    project.write("app.py", CWSANDBOX_APP);
    let run = |extra: &[&str]| {
        let mut args = vec!["run", "app.py", "--output-format", "json"];
        args.extend_from_slice(extra);
        json(&project.run(&args))
    };

    let outcome = run(&["--function", "square"]);
    assert_eq!(outcome["outcome"], "ok", "{outcome}");
    assert_eq!(outcome["value_repr"], "4");
    assert_eq!(outcome["call_site"], 21);

    // `.map`: one sandbox per item, up to the first that fails; the SDK's client
    // reports the first line of the message.
    let outcome = run(&["--function", "square", "--call-site", "22"]);
    assert_eq!(outcome["outcome"], "raised", "{outcome}");
    assert_eq!(outcome["map_item"], 2);
    assert_eq!(outcome["map_items"], 2);
    assert_eq!(outcome["exception_type"], "ValueError");
    assert_eq!(outcome["exception_message"], "5 is over the limit");
    assert_eq!(
        outcome["real_exception_message"],
        "5 is over the limit\nsecond line"
    );

    // The session's and the decorator's environment variables; keys come back as
    // strings.
    let outcome = run(&["--function", "settings"]);
    assert_eq!(
        outcome["value_json"],
        serde_json::json!({"1": "dev", "2": "fast"})
    );

    let outcome = run(&["--function", "square", "--call-site", "24"]);
    assert_eq!(outcome["outcome"], "refused", "{outcome}");
    assert_eq!(outcome["code"], "AV107");
}

const CWSANDBOX_CHAIN: &str = r#"import asyncio

from cwsandbox import SandboxDefaults, Session

ROWS = [" bb ", "a", " bb"]


async def main():
    async with Session(SandboxDefaults()) as session:

        @session.function()
        def clean(rows: list) -> list:
            return [r.strip() for r in rows]

        @session.function()
        def counts(rows: list) -> dict:
            out = {}
            for r in rows:
                out[r] = out.get(r, 0) + 1
            return {len(k): v for k, v in out.items()}

        @session.function()
        def pairs(n: int) -> tuple:
            return (n, n * n)

        @session.function()
        def describe(counted: dict, squares: list) -> str:
            return f"{sorted(counted.items())} {squares}"

        cleaned = await clean.remote(ROWS)
        counted = counts.remote(cleaned).result()
        squares = await asyncio.gather(*pairs.map([(1,), (2,)]))
        print(describe.remote(counted, squares).result())
        for row in cleaned:
            print(clean.remote([row]).result())


asyncio.run(main())
"#;

/// An argument that an earlier sandbox call returned: that call runs first, as the
/// SDK runs it, and its value after the JSON round trip (keys as strings, tuples as
/// lists) is what the later call gets.
#[test]
fn cwsandbox_arguments_from_earlier_calls_run_those_calls_first() {
    let project = Project::new();
    project.write("app.py", CWSANDBOX_CHAIN);
    let run = |extra: &[&str]| {
        let mut args = vec!["run", "app.py", "--output-format", "json"];
        args.extend_from_slice(extra);
        json(&project.run(&args))
    };
    let outcome = run(&["--function", "describe", "--call-site", "33"]);
    assert_eq!(outcome["outcome"], "ok", "{outcome}");
    assert_eq!(
        outcome["value_repr"],
        "\"[('1', 1), ('2', 2)] [[1, 1], [2, 4]]\""
    );
    // `counts` gets the list `clean` returned.
    let outcome = run(&["--function", "counts", "--call-site", "31"]);
    assert_eq!(outcome["value_json"], serde_json::json!({"1": 1, "2": 2}));
}

const CWSANDBOX_FALLBACK: &str = r#"from cwsandbox import SandboxDefaults, Session

ORDERS = [{"variant": "A", "n": 3}, {"variant": "B", "n": 5}]
STATUS_TEXT = {200: "ok"}

with Session(SandboxDefaults()) as session:

    @session.function()
    def totals(rows):
        return {r["variant"]: r["n"] for r in rows}

    @session.function()
    def labelled(rows):
        return {STATUS_TEXT[200]: len(rows)}

    @session.function()
    def share(counts):
        total = sum(counts.values())
        return {k: round(v / total, 3) for k, v in counts.items()}

    counts = {}
    try:
        counts = labelled.remote(ORDERS).result()
    except Exception as exc:
        print("labelled failed:", type(exc).__name__)
    if "A" not in counts:
        counts = totals.remote(ORDERS).result()
    print(share.remote(counts).result())
"#;

/// An argument only running the file gives (a fallback after a call that fails):
/// the file runs in the sandbox up to the call, its earlier calls made as the SDK
/// makes them (`labelled` is refused on the client, `totals` returns), and the
/// requested call is the run. The cwsandbox oracle recorded `{'A': 0.375, 'B':
/// 0.625}` for `share`.
#[test]
fn cwsandbox_arguments_only_running_the_file_gives_come_from_running_it() {
    let project = Project::new();
    project.write("app.py", CWSANDBOX_FALLBACK);
    let outcome = run_call(&project, "share", 28);
    assert_eq!(outcome["outcome"], "ok", "{outcome}");
    assert_eq!(
        outcome["value_json"],
        serde_json::json!({"A": 0.375, "B": 0.625})
    );
    let note = outcome["note"].as_str().unwrap_or_default();
    assert!(note.contains("ran in the sandbox up to line 28"), "{note}");
    // What the file printed before the call is not the function's output.
    assert_eq!(outcome["stdout"], "", "{outcome}");
    // A call the file never reaches is refused, and the note says why.
    project.write(
        "app.py",
        CWSANDBOX_FALLBACK.replace(
            "    print(share.remote(counts).result())",
            "    if not ORDERS:\n        print(share.remote(counts).result())",
        ),
    );
    let outcome = run_call(&project, "share", 29);
    assert_eq!(outcome["outcome"], "refused", "{outcome}");
    let note = outcome["note"].as_str().unwrap_or_default();
    assert!(
        note.contains("did not reach the call at line 29"),
        "{outcome}"
    );
}

const CWSANDBOX_CLIENT_FILE: &str = r#"import json

from cwsandbox import Session

PATH = "/tmp/flags.json"
with open(PATH, "w") as fh:
    json.dump({"beta": True}, fh)

with Session() as session:

    @session.function()
    def write_copy(path):
        with open(path + ".copy", "w") as fh:
            fh.write("x")
        return True

    @session.function()
    def load(path):
        with open(path) as fh:
            return json.load(fh)

    for name in [PATH, PATH + ".copy"]:
        try:
            write_copy.remote(PATH).result()
            print(load.remote(name).result())
        except Exception as exc:
            print(type(exc).__name__)
"#;

/// While the file runs up to a call, each side is a machine of its own: a file the
/// client wrote, or an earlier sandbox call, is not there for the sandbox (as the
/// cwsandbox oracle recorded for tests/fixtures/heldout/cwsandbox/
/// feature_flag_config.py: `FileNotFoundError`).
#[test]
fn a_file_the_client_or_an_earlier_call_wrote_is_not_in_the_sandbox() {
    let project = Project::new();
    project.write("app.py", CWSANDBOX_CLIENT_FILE);
    let outcome = run_call(&project, "load", 25);
    assert_eq!(outcome["outcome"], "raised", "{outcome}");
    assert_eq!(outcome["exception_type"], "FileNotFoundError", "{outcome}");
    assert!(
        outcome["exception_message"]
            .as_str()
            .unwrap_or_default()
            .ends_with("'/tmp/flags.json'"),
        "{outcome}"
    );
    // The function writing and reading its own file is another matter.
    let outcome = run_call(&project, "write_copy", 24);
    assert_eq!(outcome["value_json"], true, "{outcome}");
    // The copy an earlier sandbox call wrote is not there for a later one.
    project.write(
        "app.py",
        CWSANDBOX_CLIENT_FILE.replace("[PATH, PATH + \".copy\"]", "[PATH + \".copy\"]"),
    );
    let outcome = run_call(&project, "load", 25);
    assert_eq!(outcome["exception_type"], "FileNotFoundError", "{outcome}");
    assert!(
        outcome["exception_message"]
            .as_str()
            .unwrap_or_default()
            .ends_with("'/tmp/flags.json.copy'"),
        "{outcome}"
    );
}

const CWSANDBOX_MODULE_SESSION: &str = r#"from cwsandbox import SandboxDefaults, SandboxTimeoutError, Session

session = Session(SandboxDefaults(max_lifetime_seconds=60))


@session.function()
def total(values):
    return sum(values)


def main():
    values = []
    for i in range(4):
        values.append(i * 2)
    try:
        print(total.remote(values).result())
    except SandboxTimeoutError:
        print("timed out")
    finally:
        session.close()


if __name__ == "__main__":
    main()
"#;

/// The rest of the SDK (a session closed by hand, an exception caught by name) does
/// not stop the file on its way to the call. The cwsandbox oracle recorded `12`.
#[test]
fn the_file_runs_past_the_sdk_names_it_does_not_call() {
    let project = Project::new();
    project.write("app.py", CWSANDBOX_MODULE_SESSION);
    let outcome = run_call(&project, "total", 16);
    assert_eq!(outcome["value_json"], 12, "{outcome}");
}

const CWSANDBOX_TOOLS_DICT: &str = r#"from cwsandbox import Session


def build_tools(session):
    @session.function()
    def double(x):
        return [x * 2, (x, x)]

    return {"double": double}


with Session() as session:
    tools = build_tools(session)
    print(tools["double"].remote(21).result())
"#;

/// A call the analysis does not see (through a dict of functions) is found as the
/// file runs, by its line. The cwsandbox oracle recorded `[42, [21, 21]]`.
#[test]
fn a_call_through_a_dict_of_functions_runs_from_its_line() {
    let project = Project::new();
    project.write("app.py", CWSANDBOX_TOOLS_DICT);
    let outcome = run_call(&project, "double", 14);
    assert_eq!(
        outcome["value_json"],
        serde_json::json!([42, [21, 21]]),
        "{outcome}"
    );
    // A line the file makes no call of it on is still an error, with the reason.
    let outcome = run_call(&project, "double", 13);
    assert_eq!(outcome["outcome"], "error", "{outcome}");
    let note = outcome["note"].as_str().unwrap_or_default();
    assert!(
        note.contains("did not reach the call at line 13"),
        "{outcome}"
    );
}

const AVIATO_BUILT_IN_A_LOOP: &str = r#"import asyncio

from aviato import Sandbox, SandboxDefaults


async def main():
    async with Sandbox.session(SandboxDefaults()) as session:

        @session.function()
        def parse(lines):
            return [tuple(line.split(",")) for line in lines]

        @session.function()
        def widths(rows):
            return sorted({len(row) for row in rows if isinstance(row, list)})

        lines = []
        for i in range(3):
            lines.append(f"{i},{i * i}")
        rows = await parse(lines)
        print(await widths(rows))


asyncio.run(main())
"#;

/// aviato: a list built in a loop, then parsed in a sandbox whose tuples come back
/// as lists. The aviato oracle recorded `[2]` for `widths`.
#[test]
fn aviato_arguments_only_running_the_file_gives_come_from_running_it() {
    let project = Project::new();
    project.write("app.py", AVIATO_BUILT_IN_A_LOOP);
    let outcome = run_call(&project, "widths", 21);
    assert_eq!(outcome["outcome"], "ok", "{outcome}");
    assert_eq!(outcome["value_json"], serde_json::json!([2]));
}

const CWSANDBOX_LOOP: &str = r#"from cwsandbox import SandboxDefaults, Session

AGES = ["31", "-4", "12"]

with Session(SandboxDefaults()) as session:

    @session.function()
    def parse_age(text: str) -> int:
        age = int(text)
        if age < 0:
            raise ValueError(f"negative age: {age}")
        return age

    for text in AGES:
        try:
            print(parse_age.remote(text).result())
        except Exception as exc:
            print("failed:", exc)
"#;

/// A `.remote(...)` call in a loop is made once per iteration: the run goes through
/// the iterations up to the first that fails, as the SDK's calls would.
#[test]
fn cwsandbox_a_call_in_a_loop_runs_each_iteration() {
    let project = Project::new();
    project.write("app.py", CWSANDBOX_LOOP);
    let outcome = run_call(&project, "parse_age", 16);
    assert_eq!(outcome["outcome"], "raised", "{outcome}");
    assert_eq!(outcome["exception_type"], "ValueError");
    assert_eq!(outcome["exception_message"], "negative age: -4");
    assert_eq!(outcome["map_item"], 2);
    assert_eq!(outcome["map_items"], 3);
}

const CWSANDBOX_INSTANCE: &str = r#"from cwsandbox import SandboxDefaults, Session


class Harness:
    def __init__(self, session):
        @session.function()
        def normalize(text: str) -> str:
            return " ".join(text.lower().split())

        self.normalize = normalize

    def run(self):
        return self.normalize.remote("  The  Tower ").result()


with Session(SandboxDefaults()) as session:
    print(Harness(session).run())
"#;

/// A sandbox function kept on an instance (`self.normalize = normalize`) and called
/// from another method as `self.normalize.remote(...)`: that call is its call site.
#[test]
fn cwsandbox_a_function_kept_on_self_is_run_at_its_calls() {
    let project = Project::new();
    project.write("app.py", CWSANDBOX_INSTANCE);
    let outcome = run_call(&project, "normalize", 13);
    assert_eq!(outcome["outcome"], "ok", "{outcome}");
    assert_eq!(outcome["value_repr"], "'the tower'");
}

#[test]
fn text_output_streams_while_the_function_runs() {
    use std::io::{BufRead, BufReader};
    use std::process::{Command, Stdio};

    let project = project();
    project.write(
        "slow.py",
        "from cwsandbox import Session\n\nwith Session() as session:\n\n    @session.function()\n    def slow():\n        import time\n\n        print(\"first\")\n        time.sleep(1.5)\n        print(\"second\")\n        return 7\n\n    slow.remote().result()\n",
    );
    let mut child = Command::new(env!("CARGO_BIN_EXE_aviato-lsp"))
        .args(["run", "slow.py", "--function", "slow"])
        .current_dir(project.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    assert_eq!(lines.next().unwrap().unwrap(), "first");
    assert!(
        child.try_wait().unwrap().is_none(),
        "the run ended before its first line was shown"
    );
    let rest: Vec<String> = lines.map(Result::unwrap).collect();
    assert_eq!(rest, ["second", "7"]);
    assert!(child.wait().unwrap().success());
}

const FLOOD: &str = r#"from aviato import Sandbox


async def main():
    async with Sandbox.session() as session:

        @session.function()
        def flood():
            import os
            made = 0
            try:
                for i in range(200000):
                    open("/tmp/f%d" % i, "w").close()
                    made += 1
            except OSError as error:
                return [made, error.errno, len(os.listdir("/tmp"))]
            return [made, 0, 0]

        print(await flood())
"#;

/// `aviato-lsp run` of a function that makes empty files in /tmp until it cannot, as
/// `uid` (when given, the test being root) with `TMPDIR` set to a directory of its
/// own: the files stop at the tmpfs's inode cap with `ENOSPC`, the run ends with
/// that value, and nothing is left in `TMPDIR` (the tmpfs was mounted in the run's
/// own namespaces, on a mount point removed afterwards).
fn flood_tmp(uid: Option<u32>) {
    use std::os::unix::process::CommandExt;
    let project = Project::new();
    project.write("flood.py", FLOOD);
    // Another user must reach it: in the system's /tmp, not a private $TMPDIR.
    let tmpdir = match uid {
        Some(_) => tempfile::tempdir_in("/tmp").unwrap(),
        None => tempfile::tempdir().unwrap(),
    };
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_aviato-lsp"));
    command
        .args([
            "run",
            "flood.py",
            "--function",
            "flood",
            "--output-format",
            "json",
        ])
        .current_dir(project.path())
        .env("TMPDIR", tmpdir.path());
    if let Some(uid) = uid {
        let python = ["/usr/local/bin/python3", "/usr/bin/python3"]
            .into_iter()
            .find(|path| Path::new(path).exists())
            .expect("a run as another user needs a python3 in /usr/bin or /usr/local/bin");
        for dir in [project.path(), tmpdir.path()] {
            std::os::unix::fs::chown(dir, Some(uid), Some(uid)).unwrap();
        }
        let bin = Path::new(python).parent().unwrap();
        command
            .env("PATH", format!("{}:/usr/bin:/bin", bin.display()))
            .uid(uid)
            .gid(uid);
    }
    let output = command.output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let outcome: serde_json::Value = serde_json::from_str(&stdout).unwrap_or_else(|err| {
        panic!(
            "invalid JSON ({err}):\n{stdout}\n{}",
            String::from_utf8_lossy(&output.stderr)
        )
    });
    assert_eq!(outcome["outcome"], "ok", "{outcome}");
    let value: Vec<u64> = serde_json::from_value(outcome["value_json"].clone()).unwrap();
    let (made, errno, listed) = (value[0], value[1], value[2]);
    assert_eq!(errno, 28, "ENOSPC: {outcome}");
    // The root directory of the tmpfs takes one of the 131,072 inodes.
    assert!((130_000..131_072).contains(&made), "{outcome}");
    assert_eq!(listed, made, "{outcome}");
    let left: Vec<_> = std::fs::read_dir(tmpdir.path()).unwrap().collect();
    assert!(left.is_empty(), "left in TMPDIR: {left:?}");
}

#[test]
fn files_in_tmp_stop_at_the_inode_cap_and_leave_nothing_on_the_host() {
    flood_tmp(None);
}

#[test]
fn files_in_tmp_stop_at_the_inode_cap_for_a_user_who_is_not_root() {
    // SAFETY: geteuid has no preconditions.
    let root = unsafe { libc::geteuid() } == 0;
    // As root, the same run as a user of no account, which mounts its tmpfs in a
    // user namespace; otherwise this test's user is that user already.
    flood_tmp(root.then_some(64_124));
}
