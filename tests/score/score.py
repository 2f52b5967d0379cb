#!/usr/bin/env python3
"""Score `aviato-lsp check` (and `run`) against what the real SDK did with a corpus.

    python3 tests/score/score.py --bin target/debug/aviato-lsp tests/fixtures/realistic/aviato \\
        [more corpus dirs] [--run] [--min-recall 0.95] [--min-cause 0.9] [--min-warn 0.8] \\
        [--max-false-errors 0] [--min-run 0.9] [-j 4] [--json results.json]

A corpus directory holds Python files, `oracle.jsonl` (what the real SDK did with every
decorated function) and optionally `warnings.json`. Two row formats are read:

* sdk-oracle rows (tests/oracle/record.py): one row per function, `call` is
  `{"line", "source"}` or null, `outcome.kind` is ok / decorate_error / client_error /
  sandbox_error / not_called.
* cwsandbox-oracle rows (tests/oracle/record_cwsandbox.py): one row per event, `call` is
  decorate / remote / map / local / direct / none / file. A function fails when any of its
  decorate, remote, map or direct rows is not ok (`unresolved` is a failure); `local`,
  `none` and `file` rows do not count.

`warnings.json` maps "file.py::function" to a list of rule codes that should be reported
(warnings such as AV302, AV403, AV404, AV305), or to an object
`{"raises": true, "warnings": [...]}` for a function whose body raises by design (a
deliberate exception: it fails in the SDK, but no rule has anything to say, so it is
left out of recall and cause). A top-level "labels" object with the same entries is
read as well.

Figures, per function (a function is identified by file, name and def line):

* recall: failing functions (not raising by design) with at least one error diagnostic.
* cause: failing functions flagged with a code that names the cause. The codes that
  name it are derived from the oracle outcome by CAUSES below; failures no rule names
  are listed, and left out of the ratio.
* warn: labelled functions carrying a diagnostic with one of the labelled codes.
* false errors: functions the SDK runs correctly that carry an error diagnostic.
* run (with --run): `aviato-lsp run FILE --function NAME --line DEF --call-site LINE
  --output-format json` ends as the SDK did: the same value repr; the same exception
  type and message for errors raised in the sandbox; a refusal for failures on the
  client or at decoration.

Exit status 1 when a figure is below its minimum (or false errors above their maximum),
2 on a usage error. Standard library only.
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]

# The lengths the two oracles clip a long value's repr to (sdk-oracle's MAX_REPR and
# cwsandbox-oracle's).
CLIPPED_REPR_LENGTHS = (300, 400)

# Event rows of the cwsandbox format that decide whether a function failed.
COUNTED_CALLS = ("decorate", "remote", "map", "direct")
NAME_CODES = ("AV201", "AV202", "AV203", "AV204", "AV205", "AV206")

# ------------------------------------------------------------------------------ causes
# Which rule codes name the cause of a failure, from the oracle's outcome. The first
# matching line wins. `kind` is the outcome kind; `type` and `message` are regular
# expressions searched in the exception's type and message (for sandbox errors,
# `exception_type` and `exception_message`; None is matched as the empty string).
# `codes` is the set of acceptable codes; an empty set means no rule names the cause.
# Two refinements depend on the file: NameError also accepts AV106 when the missing name
# is an alias of `.function` (see `alias_codes`), and a FunctionSerializationError about
# another function than the decorated one (a decorator's wrapper without
# functools.wraps) also accepts AV203 (see `wrapper_codes`).
CAUSES: list[dict[str, Any]] = [
    # decoration
    {"kind": "decorate_error", "type": r"AsyncFunctionError", "codes": {"AV101"},
     "why": "async def / async generator decorated"},
    {"kind": "decorate_error", "type": r"TypeError", "message": r"positional argument",
     "codes": {"AV102", "AV103"}, "why": "decorator not called, or positional arguments"},
    {"kind": "decorate_error", "type": r"TypeError", "message": r"keyword argument",
     "codes": {"AV103"}, "why": "unknown decorator keyword"},
    {"kind": "decorate_error", "codes": {"AV108", "AV103", "AV203"},
     "why": "another decorator failed on the decorated object"},
    # client, before any sandbox
    {"kind": "client_error", "type": r"FunctionSerializationError", "message": r"<class 'module'>|'module' object",
     "codes": {"AV201", "AV301"}, "why": "a module captured from an enclosing scope"},
    {"kind": "client_error", "type": r"FunctionSerializationError", "message": r"<class '__main__\.",
     "codes": {"AV301", "AV105"}, "why": "an instance of a script class captured or passed (self?)"},
    {"kind": "client_error", "type": r"FunctionSerializationError", "codes": {"AV301"},
     "why": "a captured value or argument the serializer refuses"},
    {"kind": "client_error", "type": r"TypeError", "message": r"type module is not JSON",
     "codes": {"AV201", "AV301"}, "why": "a module captured from an enclosing scope (cwsandbox)"},
    {"kind": "client_error", "type": r"TypeError", "message": r"non-string keys",
     "codes": {"AV306"}, "why": "a dict with non-str keys (cwsandbox)"},
    {"kind": "client_error", "type": r"TypeError", "message": r"not JSON[- ]serializable",
     "codes": {"AV301"}, "why": "a captured value or argument strict JSON refuses (cwsandbox)"},
    {"kind": "client_error", "type": r"TypeError", "message": r"'RemoteFunction' object is not callable",
     "codes": {"AV107"}, "why": "the RemoteFunction called directly (cwsandbox)"},
    {"kind": "client_error", "type": r"AttributeError", "message": r"'function' object has no attribute '(remote|map|local)'",
     "codes": {"AV108", "AV107"}, "why": "a decorator above the RemoteFunction returned a plain function (cwsandbox)"},
    {"kind": "client_error", "type": r"AttributeError", "message": r"'(property|classmethod|staticmethod)' object",
     "codes": {"AV105", "AV203"}, "why": "a method decorated (classmethod/property kept in the source)"},
    {"kind": "client_error", "type": r"AttributeError", "message": r"object has no attribute 'value'",
     "codes": {"AV103"}, "why": "serialization= given as a string"},
    {"kind": "client_error", "type": r"TypeError|ValueError",
     "message": r"^resource|^unrecognized (resource|quantity|keys in|GPU)|^gpu |quantit",
     "codes": {"AV103"}, "why": "resources= the SDK refuses"},
    {"kind": "client_error", "type": r"TypeError|ValueError",
     "message": r"bad argument type for built-in operation|is not a valid (PlacementMode|PlacementSpillover|DataPlaneMode)|for \+: 'float' and 'str'",
     "codes": {"AV103"}, "why": "an option the SDK cannot convert"},
    {"kind": "client_error", "type": r"AttributeError|PicklingError", "message": r"pickle|Can't get",
     "codes": {"AV301", "AV304", "AV105"}, "why": "PICKLE of a local function or class"},
    {"kind": "client_error", "type": r"ValueError", "message": r"[Cc]ell is empty",
     "codes": {"AV206"}, "why": "a closure variable not yet bound when the function is called"},
    {"kind": "client_error", "type": r"SandboxFileError", "codes": {"AV404"},
     "why": "SystemExit(0): the result file was never written"},
    {"kind": "client_error", "type": r"SandboxError", "message": r"session is closed",
     "codes": {"AV407"}, "why": "called after its session closed"},
    {"kind": "client_error", "type": r"IndentationError|SyntaxError", "codes": set(),
     "why": "the SDK cannot re-parse the extracted source"},
    {"kind": "unresolved", "codes": {"AV405"}, "why": "the OperationRef is never resolved (cwsandbox)"},
    {"kind": "client_error", "codes": set(), "why": "another client-side failure"},
    # sandbox
    {"kind": "sandbox_error", "type": r"NameError", "codes": set(NAME_CODES),
     "why": "a name the SDK does not send"},
    {"kind": "sandbox_error", "type": r"TypeError", "message": r"type generator is not JSON|pickle 'generator'",
     "codes": {"AV104"}, "why": "a generator function"},
    {"kind": "sandbox_error", "type": r"TypeError",
     "message": r"not JSON serializable|keys must be str|not JSON-serializable",
     "codes": {"AV303"}, "why": "a return value JSON cannot carry"},
    {"kind": "sandbox_error", "type": r"AttributeError", "message": r"Can't get attribute '.*' on <module '__main__'",
     "codes": {"AV304", "AV301", "AV105"},
     "why": "PICKLE: a script class or function the sandbox cannot load (or self of a method)"},
    {"kind": "sandbox_error", "type": r"AttributeError", "message": r"Can't pickle local object",
     "codes": {"AV303", "AV304"}, "why": "PICKLE: a returned instance of a local class"},
    {"kind": "sandbox_error", "type": r"TypeError", "message": r"'(classmethod|staticmethod|property)' object",
     "codes": {"AV105", "AV203"}, "why": "a method decorated (classmethod/property kept in the source)"},
    {"kind": "sandbox_error", "type": r"TypeError",
     "message": r"positional argument|keyword argument|required positional",
     "codes": {"AV402", "AV105", "AV406"}, "why": "the call does not match the signature"},
    {"kind": "sandbox_error", "type": r"^$", "message": r"^$", "codes": {"AV404"},
     "why": "sys.exit with a non-zero status"},
    {"kind": "sandbox_error", "type": r"SyntaxError", "message": r"nonlocal", "codes": {"AV403"},
     "why": "nonlocal in a function re-executed at module level"},
    {"kind": "sandbox_error", "type": r"AttributeError", "message": r"'(dict|list|str|int|float|NoneType)' object has no attribute",
     "codes": {"AV302", "AV306"}, "why": "a value converted by JSON on the way"},
    {"kind": "sandbox_error", "type": r"ModuleNotFoundError", "codes": {"AV207"},
     "why": "a package the image does not have"},
    {"kind": "sandbox_error", "type": r"KeyError", "message": r"^.[A-Z][A-Z0-9_]+.$", "codes": {"AV408"},
     "why": "an environment variable the sandbox does not have"},
    {"kind": "sandbox_error", "type": r"KeyError|TypeError", "codes": {"AV302", "AV306"},
     "why": "a value converted by JSON on the way (keys, operands)"},
    {"kind": "sandbox_error", "codes": set(), "why": "another exception in the sandbox"},
]


def outcome_text(outcome: dict[str, Any]) -> tuple[str, str]:
    kind = outcome.get("kind")
    if kind == "sandbox_error":
        return outcome.get("exception_type") or "", outcome.get("exception_message") or ""
    return outcome.get("type") or "", outcome.get("message") or ""


def cause_of(outcome: dict[str, Any]) -> dict[str, Any] | None:
    kind = outcome.get("kind")
    etype, message = outcome_text(outcome)
    for line in CAUSES:
        if line["kind"] != kind:
            continue
        if "type" in line and not re.search(line["type"], etype):
            continue
        if "message" in line and not re.search(line["message"], message):
            continue
        return line
    return None


def alias_codes(outcome: dict[str, Any], source: str) -> set[str]:
    """AV106 when the NameError's name is bound to `<expr>.function` in the file."""
    _, message = outcome_text(outcome)
    match = re.search(r"name '(\w+)' is not defined", message)
    if match and re.search(rf"\b{match.group(1)}\s*=\s*[\w.\[\]\"']+\.function\b", source):
        return {"AV106"}
    return set()


def wrapper_codes(outcome: dict[str, Any], name: str) -> set[str]:
    """AV203 when the SDK serialized a decorator's wrapper instead of the function."""
    match = re.match(r"Cannot serialize function '(\w+)'", outcome.get("message") or "")
    return {"AV203"} if match and match.group(1) != name else set()


# ------------------------------------------------------------------------------ corpus
@dataclass
class Function:
    file: Path  # absolute
    name: str
    def_line: int
    outcome: dict[str, Any]  # the deciding outcome: the first failing counted one, else ok
    failing: bool
    call_line: int | None = None
    call_source: str | None = None
    raises: bool = False
    warnings: list[str] = field(default_factory=list)
    diagnostics: list[dict[str, Any]] = field(default_factory=list)
    codes: set[str] = field(default_factory=set)
    acceptable: set[str] = field(default_factory=set)
    cause_why: str = ""
    run: dict[str, Any] | None = None
    run_verdict: str | None = None  # "match", "miss", "skipped"
    run_note: str = ""

    def where(self, corpus: Path) -> str:
        return f"{self.file.relative_to(corpus).as_posix()}:{self.def_line} {self.name}"

    @property
    def error_codes(self) -> set[str]:
        return {d["code"] for d in self.diagnostics if d.get("severity") == "error"}


def describe_outcome(outcome: dict[str, Any]) -> str:
    kind = outcome.get("kind")
    if kind == "ok":
        return f"ok {clip(outcome.get('value', ''), 80)}"
    etype, message = outcome_text(outcome)
    first = message.splitlines()[0] if message else message
    return f"{kind} {etype or 'None'}: {clip(first, 110)}"


def clip(text: Any, limit: int) -> str:
    text = str(text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def resolve_row_file(corpus: Path, recorded: str) -> Path:
    local = corpus / Path(recorded).name
    if local.exists():
        return local.resolve()
    return (REPO / recorded).resolve()


def load_functions(corpus: Path) -> tuple[str, list[Function], set[tuple[Path, str]]]:
    """The scored functions, and (file, name) of recorded functions with no counted outcome."""
    rows = [json.loads(line) for line in (corpus / "oracle.jsonl").read_text(encoding="utf-8").splitlines() if line.strip()]
    event_format = any(isinstance(r.get("call"), str) for r in rows)
    functions: list[Function] = []
    unscored: set[tuple[Path, str]] = set()
    if not event_format:
        for r in rows:
            outcome = r["outcome"]
            if outcome.get("kind") == "not_called":
                unscored.add((resolve_row_file(corpus, r["file"]), r["function"]))
                continue
            call = r.get("call") or {}
            functions.append(Function(
                file=resolve_row_file(corpus, r["file"]), name=r["function"], def_line=r["def_line"],
                outcome=outcome, failing=outcome.get("kind") != "ok",
                call_line=call.get("line"), call_source=call.get("source")))
        return "aviato", functions, unscored
    grouped: dict[tuple[str, str, int], list[dict[str, Any]]] = {}
    for r in rows:
        if r.get("function") is None:
            continue
        if r.get("call") not in COUNTED_CALLS:
            unscored.add((resolve_row_file(corpus, r["file"]), r["function"]))
            continue
        grouped.setdefault((r["file"], r["function"], r["def_line"]), []).append(r)
    for (file, name, def_line), events in grouped.items():
        failing_events = [e for e in events if e["outcome"].get("kind") != "ok"]
        decisive = failing_events[0] if failing_events else events[0]
        # the call whose outcome decides: the failing one when there is one, so that `run`
        # at that call site is compared with that call's own outcome
        call_event = next((e for e in [decisive, *events] if e["call"] in ("remote", "map", "direct") and e.get("call_line")), None)
        functions.append(Function(
            file=resolve_row_file(corpus, file), name=name, def_line=def_line,
            outcome=decisive["outcome"], failing=bool(failing_events),
            call_line=call_event.get("call_line") if call_event else None))
    functions.sort(key=lambda f: (str(f.file), f.def_line, f.name))
    unscored -= {(f.file, f.name) for f in functions}
    return "cwsandbox", functions, unscored


def load_labels(corpus: Path) -> dict[str, Any]:
    path = corpus / "warnings.json"
    if not path.exists():
        return {}
    data = json.loads(path.read_text(encoding="utf-8"))
    labels = {k: v for k, v in data.items() if "::" in k}
    labels.update(data.get("labels", {}))
    return labels


def apply_labels(corpus: Path, functions: list[Function], labels: dict[str, Any]) -> list[str]:
    by_key = {f"{f.file.relative_to(corpus).as_posix()}::{f.name}": f for f in functions}
    unknown = []
    for key, value in labels.items():
        function = by_key.get(key)
        if function is None:
            unknown.append(key)
            continue
        if isinstance(value, dict):
            function.raises = bool(value.get("raises"))
            function.warnings = list(value.get("warnings", []))
        else:
            function.warnings = list(value)
    return unknown


# ------------------------------------------------------------------------------ check
def def_spans(path: Path) -> list[tuple[int, int, str, int]]:
    """(first line incl. decorators, last line, name, def line) of every def in a file."""
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"))
    except (SyntaxError, ValueError, OSError):
        return []
    spans = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            first = min([d.lineno for d in node.decorator_list] + [node.lineno])
            spans.append((first, node.end_lineno or node.lineno, node.name, node.lineno))
    return spans


def run_check(binary: Path, corpus: Path, functions: list[Function],
              unscored: set[tuple[Path, str]]) -> list[dict[str, Any]]:
    proc = subprocess.run([str(binary), "check", "--output-format", "json", str(corpus)],
                          capture_output=True, text=True, cwd=REPO)
    if proc.returncode not in (0, 1):
        print(f"warning: check exited {proc.returncode} on {corpus}: {proc.stderr.strip()[:500]}", file=sys.stderr)
    try:
        diagnostics = json.loads(proc.stdout or "[]")
    except json.JSONDecodeError:
        raise SystemExit(f"check printed no JSON for {corpus}: {proc.stderr.strip()[:500]}")
    exact = {(f.file, f.name, f.def_line): f for f in functions}
    by_name: dict[tuple[Path, str], list[Function]] = {}
    for f in functions:
        by_name.setdefault((f.file, f.name), []).append(f)
    spans: dict[Path, list[tuple[int, int, str, int]]] = {}
    unattributed = []
    for d in diagnostics:
        path = Path(d["file"])
        path = (path if path.is_absolute() else REPO / path).resolve()
        target = None
        if d.get("function"):
            key = (path, d["function"]["name"], d["function"]["def_line"])
            target = exact.get(key)
            if target is None and len(by_name.get(key[:2], [])) == 1:
                target = by_name[key[:2]][0]
        else:
            line = d["range"]["start"]["line"]
            enclosing = [s for s in spans.setdefault(path, def_spans(path)) if s[0] <= line <= s[1]]
            for first, last, name, def_line in sorted(enclosing, key=lambda s: s[1] - s[0]):
                target = exact.get((path, name, def_line))
                if target:
                    break
        if target is None:
            if not (d.get("function") and (path, d["function"]["name"]) in unscored):
                unattributed.append(d)
            continue
        target.diagnostics.append(d)
        target.codes.add(d["code"])
    return unattributed


# ------------------------------------------------------------------------------ run
def call_arguments(source: str | None) -> str | None:
    """`Jobs.head(ROWS, 2)` -> `ROWS, 2`, for calls the run cannot resolve by line."""
    if not source:
        return None
    try:
        node = ast.parse(source, mode="eval").body
    except SyntaxError:
        return None
    if not isinstance(node, ast.Call):
        return None
    parts = [ast.unparse(a) for a in node.args] + [
        (f"{k.arg}={ast.unparse(k.value)}" if k.arg else f"**{ast.unparse(k.value)}") for k in node.keywords]
    return ", ".join(parts)


def invoke_run(binary: Path, function: Function, timeout: float) -> dict[str, Any]:
    base = [str(binary), "run", str(function.file), "--function", function.name,
            "--line", str(function.def_line), "--output-format", "json", "--timeout", str(int(timeout))]

    def once(extra: list[str]) -> dict[str, Any]:
        try:
            proc = subprocess.run(base + extra, capture_output=True, text=True, cwd=REPO, timeout=timeout + 30)
        except subprocess.TimeoutExpired:
            return {"outcome": "error", "message": "scorer: run did not finish"}
        try:
            return json.loads(proc.stdout)
        except json.JSONDecodeError:
            return {"outcome": "error", "message": clip(proc.stderr.strip() or f"exit {proc.returncode}", 300)}

    if function.call_line is None:  # a decoration error: whatever the arguments, a refusal
        return once([])
    result = once(["--call-site", str(function.call_line)])
    # A call through a class attribute (`Jobs.head(ROWS, 2)`) binds no instance, so the
    # recorded call's own arguments are the same call; instance calls are not retried.
    callee = (function.call_source or "").split("(")[0]
    owner = callee.rsplit(".", 1)[0].rsplit(".", 1)[-1] if "." in callee else ""
    if result.get("outcome") in ("error", "refused") and owner[:1].isupper():
        arguments = call_arguments(function.call_source)
        if arguments is not None:
            retry = once(["--args", arguments])
            if retry.get("outcome") not in ("error",):
                retry["scorer_note"] = "arguments of the recorded call passed with --args"
                return retry
    return result


def first_line(text: str | None) -> str | None:
    return text.splitlines()[0] if text else text


def judge_run(expected: dict[str, Any], got: dict[str, Any]) -> bool:
    kind = expected.get("kind")
    outcome = got.get("outcome")
    if kind == "ok":
        want = expected.get("value", "")
        have = got.get("value_repr") or ""
        if outcome != "ok":
            return False
        if want == have:
            return True
        # the oracles clip long reprs ending in "...": the aviato one to 400
        # characters, the cwsandbox one to 300
        return len(want) in CLIPPED_REPR_LENGTHS and want.endswith("...") and have.startswith(want[:-3])
    if kind == "sandbox_error":
        etype = expected.get("exception_type")
        message = expected.get("exception_message")
        if outcome == "refused":
            # PICKLE and a script class/function: the run cannot recreate the client's __main__
            about_script = "'__main__'" in (message or "") or (message or "").startswith("Can't pickle local object")
            return etype == "AttributeError" and about_script and got.get("code") in ("AV301", "AV304", "AV105")
        if outcome != "raised":
            return False
        real = got.get("exception_type") or ""
        if etype is not None and not (real == etype or etype.endswith("." + real)):
            return False
        if message is None:
            return True
        ours = got.get("exception_message")
        if ours is None:
            return False
        candidates = {ours, first_line(ours) or ""}
        if real.endswith(("SyntaxError", "IndentationError", "TabError")):
            # str() of a SyntaxError ends in "(file, line N)"; the traceback's last line does not
            candidates.add(re.sub(r" \([^()]*, line \d+\)$", "", ours))
        # the SDK reads the message off the traceback (its first line only), where Python
        # adds suggestions (`Did you mean: 'print'?`); the run reports str(e) in full
        return any(message == c or (c and message.startswith(c + ". Did you mean")) for c in candidates)
    if kind == "client_error" and expected.get("type") == "SandboxFileError":
        return outcome == "raised" and got.get("exception_type") == "SystemExit"
    if kind in ("client_error", "decorate_error", "unresolved"):
        return outcome == "refused"
    return False


def describe_run(got: dict[str, Any]) -> str:
    outcome = got.get("outcome")
    if outcome == "ok":
        text = f"ok {clip(got.get('value_repr'), 80)}"
    elif outcome == "raised":
        text = f"raised {got.get('exception_type')}: {clip(first_line(got.get('exception_message')) or '', 100)}"
    else:
        text = f"{outcome} {got.get('code') or ''} {clip(got.get('message') or got.get('exception_message') or '', 120)}".strip()
    if got.get("scorer_note"):
        text += f" [{got['scorer_note']}]"
    return text


# ------------------------------------------------------------------------------ scoring
@dataclass
class Score:
    corpus: Path
    generation: str
    functions: list[Function]
    unknown_labels: list[str]
    unattributed: list[dict[str, Any]]

    def of(self, predicate: Any) -> list[Function]:
        return [f for f in self.functions if predicate(f)]

    @property
    def failing(self) -> list[Function]:
        return self.of(lambda f: f.failing)

    @property
    def recall_set(self) -> list[Function]:
        return self.of(lambda f: f.failing and not f.raises)

    @property
    def recall_hits(self) -> list[Function]:
        return [f for f in self.recall_set if f.error_codes]

    @property
    def cause_set(self) -> list[Function]:
        return [f for f in self.recall_set if f.acceptable]

    @property
    def cause_hits(self) -> list[Function]:
        return [f for f in self.cause_set if f.codes & f.acceptable]

    @property
    def no_rule(self) -> list[Function]:
        return [f for f in self.recall_set if not f.acceptable]

    @property
    def warn_set(self) -> list[Function]:
        return self.of(lambda f: f.warnings)

    @property
    def warn_hits(self) -> list[Function]:
        return [f for f in self.warn_set if f.codes & set(f.warnings)]

    @property
    def false_errors(self) -> list[Function]:
        return self.of(lambda f: not f.failing and f.error_codes)

    @property
    def run_set(self) -> list[Function]:
        return self.of(lambda f: f.run_verdict in ("match", "miss"))

    @property
    def run_hits(self) -> list[Function]:
        return self.of(lambda f: f.run_verdict == "match")


def ratio(hits: int, total: int) -> str:
    return f"{hits}/{total} {100.0 * hits / total:5.1f}%" if total else "-"


def value(hits: int, total: int) -> float | None:
    return hits / total if total else None


def score_corpus(binary: Path, corpus: Path, do_run: bool, jobs: int, timeout: float) -> Score:
    generation, functions, unscored = load_functions(corpus)
    unknown = apply_labels(corpus, functions, load_labels(corpus))
    sources: dict[Path, str] = {}
    for f in functions:
        if f.failing:
            line = cause_of(f.outcome)
            f.acceptable = set(line["codes"]) if line else set()
            f.cause_why = line["why"] if line else "no line of CAUSES matches"
            if f.outcome.get("kind") == "sandbox_error" and (f.outcome.get("exception_type") or "") == "NameError":
                source = sources.setdefault(f.file, f.file.read_text(encoding="utf-8"))
                f.acceptable |= alias_codes(f.outcome, source)
            if f.outcome.get("type") == "FunctionSerializationError":
                f.acceptable |= wrapper_codes(f.outcome, f.name)
    unattributed = run_check(binary, corpus, functions, unscored)
    if do_run:
        todo = [f for f in functions if f.call_line or f.outcome.get("kind") == "decorate_error"]
        for f in functions:
            if f not in todo:
                f.run_verdict, f.run_note = "skipped", "no static call recorded"
        with ThreadPoolExecutor(max_workers=jobs) as pool:
            for f, got in zip(todo, pool.map(lambda fn: invoke_run(binary, fn, timeout), todo)):
                f.run = got
                f.run_verdict = "match" if judge_run(f.outcome, got) else "miss"
    return Score(corpus, generation, functions, unknown, unattributed)


def print_report(scores: list[Score], do_run: bool) -> dict[str, float | None]:
    header = ["corpus", "gen", "functions", "failing", "ok", "recall", "cause", "warn", "false errors"]
    if do_run:
        header.append("run")
    table = []
    totals = {k: [0, 0] for k in ("recall", "cause", "warn", "false", "run")}
    n_functions = n_failing = 0
    for s in scores:
        n_functions += len(s.functions)
        n_failing += len(s.failing)
        sums = {
            "recall": (len(s.recall_hits), len(s.recall_set)),
            "cause": (len(s.cause_hits), len(s.cause_set)),
            "warn": (len(s.warn_hits), len(s.warn_set)),
            "false": (len(s.false_errors), len(s.functions) - len(s.failing)),
            "run": (len(s.run_hits), len(s.run_set)),
        }
        for k, (h, t) in sums.items():
            totals[k][0] += h
            totals[k][1] += t
        row = [rel(s.corpus), s.generation, str(len(s.functions)), str(len(s.failing)),
               str(len(s.functions) - len(s.failing)), ratio(*sums["recall"]), ratio(*sums["cause"]),
               ratio(*sums["warn"]), f"{sums['false'][0]} of {sums['false'][1]} ok"]
        if do_run:
            row.append(ratio(*sums["run"]))
        table.append(row)
    total_row = ["TOTAL", "", str(n_functions), str(n_failing), str(n_functions - n_failing),
                 ratio(*totals["recall"]), ratio(*totals["cause"]), ratio(*totals["warn"]),
                 f"{totals['false'][0]} of {totals['false'][1]} ok"]
    if do_run:
        total_row.append(ratio(*totals["run"]))
    if len(scores) > 1:
        table.append(total_row)
    widths = [max(len(r[i]) for r in [header] + table) for i in range(len(header))]
    print("| " + " | ".join(h.ljust(w) for h, w in zip(header, widths)) + " |")
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for r in table:
        print("| " + " | ".join(c.ljust(w) for c, w in zip(r, widths)) + " |")

    for s in scores:
        c = s.corpus
        print(f"\n## {rel(c)}")
        if s.unknown_labels:
            print(f"\nlabels naming no recorded function: {', '.join(s.unknown_labels)}")
        if s.unattributed:
            print(f"\ndiagnostics outside any recorded function: {len(s.unattributed)}")
            for d in s.unattributed[:20]:
                print(f"  {rel(Path(d['file']))}:{d['range']['start']['line']} {d['code']} {clip(d['message'], 100)}")
        misses = [f for f in s.recall_set if not f.error_codes]
        print(f"\nrecall misses ({len(misses)}): failing, no error diagnostic")
        for f in misses:
            said = ", ".join(sorted(f.codes)) or "nothing"
            print(f"  {f.where(c)} | {describe_outcome(f.outcome)} | check: {said}")
        misses = [f for f in s.cause_set if not (f.codes & f.acceptable)]
        print(f"\ncause misses ({len(misses)}): no code that names the cause")
        for f in misses:
            print(f"  {f.where(c)} | {describe_outcome(f.outcome)} | want {'/'.join(sorted(f.acceptable))}"
                  f" ({f.cause_why}) | check: {', '.join(sorted(f.codes)) or 'nothing'}")
        print(f"\nfailures no rule names ({len(s.no_rule)}): left out of cause")
        for f in s.no_rule:
            print(f"  {f.where(c)} | {describe_outcome(f.outcome)} | {f.cause_why} | check: {', '.join(sorted(f.codes)) or 'nothing'}")
        misses = [f for f in s.warn_set if not (f.codes & set(f.warnings))]
        print(f"\nwarn misses ({len(misses)}): labelled, none of the labelled codes reported")
        for f in misses:
            print(f"  {f.where(c)} | want {'/'.join(f.warnings)} | check: {', '.join(sorted(f.codes)) or 'nothing'}")
        print(f"\nfalse errors ({len(s.false_errors)}): the SDK runs these")
        for f in s.false_errors:
            for d in f.diagnostics:
                if d.get("severity") == "error":
                    print(f"  {f.where(c)} | {describe_outcome(f.outcome)} | {d['code']} {clip(d['message'], 140)}")
        if do_run:
            misses = [f for f in s.functions if f.run_verdict == "miss"]
            print(f"\nrun misses ({len(misses)})")
            for f in misses:
                print(f"  {f.where(c)} call line {f.call_line} | oracle: {describe_outcome(f.outcome)}"
                      f" | run: {describe_run(f.run or {})}")
            retried = [f for f in s.functions if f.run and f.run.get("scorer_note")]
            if retried:
                print(f"\nrun with the recorded call's arguments (--args), the call site not being resolved"
                      f" ({len(retried)}): {', '.join(f.where(c) for f in retried)}")
            skipped = [f for f in s.functions if f.run_verdict == "skipped"]
            if skipped:
                print(f"\nnot run ({len(skipped)}): {', '.join(f.where(c) for f in skipped)}")
    return {k: value(*v) for k, v in totals.items()}


def rel(path: Path) -> str:
    try:
        return path.resolve().relative_to(REPO).as_posix()
    except ValueError:
        return str(path)


def to_json(scores: list[Score]) -> list[dict[str, Any]]:
    out = []
    for s in scores:
        for f in s.functions:
            out.append({
                "corpus": rel(s.corpus), "file": rel(f.file), "function": f.name, "def_line": f.def_line,
                "failing": f.failing, "raises": f.raises, "outcome": f.outcome,
                "acceptable": sorted(f.acceptable), "cause": f.cause_why, "warnings": f.warnings,
                "codes": sorted(f.codes), "error_codes": sorted(f.error_codes),
                "run": f.run, "run_verdict": f.run_verdict,
            })
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("corpora", nargs="+", type=Path, metavar="CORPUS_DIR")
    parser.add_argument("--bin", type=Path, default=Path("target/debug/aviato-lsp"), help="the aviato-lsp binary")
    parser.add_argument("--run", action="store_true", help="also compare `aviato-lsp run` with the oracle")
    parser.add_argument("--min-recall", type=float)
    parser.add_argument("--min-cause", type=float)
    parser.add_argument("--min-warn", type=float)
    parser.add_argument("--min-run", type=float)
    parser.add_argument("--max-false-errors", type=int)
    parser.add_argument("-j", "--jobs", type=int, default=max(1, min(4, os.cpu_count() or 1)),
                        help="runs at once (default: up to 4)")
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds per run")
    parser.add_argument("--json", type=Path, help="write every function's figures to this file")
    args = parser.parse_args()

    binary = args.bin if args.bin.is_absolute() else (Path.cwd() / args.bin)
    if not binary.exists() and (REPO / args.bin).exists():
        binary = REPO / args.bin
    if not binary.exists():
        parser.error(f"{args.bin}: no such binary (cargo build -p aviato-lsp)")
    corpora = []
    for corpus in args.corpora:
        path = corpus if corpus.is_absolute() else Path.cwd() / corpus
        if not (path / "oracle.jsonl").exists() and (REPO / corpus / "oracle.jsonl").exists():
            path = REPO / corpus
        if not (path / "oracle.jsonl").exists():
            parser.error(f"{corpus}: no oracle.jsonl")
        corpora.append(path.resolve())

    scores = [score_corpus(binary.resolve(), c, args.run, args.jobs, args.timeout) for c in corpora]
    totals = print_report(scores, args.run)
    if args.json:
        args.json.write_text(json.dumps(to_json(scores), indent=1) + "\n", encoding="utf-8")

    failed = []
    for name, minimum in (("recall", args.min_recall), ("cause", args.min_cause),
                          ("warn", args.min_warn), ("run", args.min_run)):
        if minimum is not None and totals[name] is not None and totals[name] < minimum:
            failed.append(f"{name} {totals[name]:.3f} < {minimum}")
    if args.max_false_errors is not None:
        false_errors = sum(len(s.false_errors) for s in scores)
        if false_errors > args.max_false_errors:
            failed.append(f"false errors {false_errors} > {args.max_false_errors}")
    if failed:
        print("\nbelow the minimum: " + "; ".join(failed))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
