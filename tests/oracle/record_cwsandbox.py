#!/usr/bin/env python3
"""Record what the real cwsandbox SDK (the current generation) does with the cwsandbox fixtures.

    python3 tests/oracle/record_cwsandbox.py              # re-record every corpus
    python3 tests/oracle/record_cwsandbox.py --check      # no SDK, no oracle needed
    python3 tests/oracle/record_cwsandbox.py --compare    # re-record into a temp dir, fail on any difference
    python3 tests/oracle/record_cwsandbox.py --corpus realistic    # only one corpus
    python3 tests/oracle/record_cwsandbox.py --dir tests/fixtures/heldout/cwsandbox   # any corpus directory

Corpora (each a directory of user programs):

* tests/fixtures/cwsandbox/: copies of the cwsandbox-oracle's example programs
  (`--copy-examples` refreshes the copies from the oracle before recording).
* tests/fixtures/realistic/cwsandbox/: realistic ML, data, backend and ETL programs.

`--dir DIR` (repeatable) records, checks or compares any other directory of user programs
inside the repository the same way (e.g. tests/fixtures/heldout/cwsandbox/); without
`--corpus` it limits the run to those directories, otherwise they are added.

Recording runs each corpus through the cwsandbox-oracle (`cwsandbox==1.22.0` from PyPI,
unmodified, against a local stand-in of the sandbox service; see the oracle's README) and
writes into the corpus directory:

* oracle.jsonl: the oracle's rows, unchanged except that `file` is relative to the
  repository root. One row per event: decoration error, `.remote()` call, `.map()` item,
  `.local()` call, direct call, never called, and a last `file` row if the program died.
* provenance.json: SDK version, Python version, the pinned requirements, and digests of
  the oracle's files (and of its examples).
* README.md: the fixtures and every row as tables, rendered from oracle.jsonl.

`--check` verifies, without the SDK, that oracle.jsonl still matches the fixtures: every
decorated function has rows at its current def line, no row names a def that is gone, call
lines still hold the call, README.md is what oracle.jsonl renders to, warnings.json names
only recorded functions, and (when the oracle is present) the example copies are unchanged.

`--compare` records into a temporary directory and fails on any difference from the
checked-in oracle.jsonl (the recording is deterministic; a difference means the SDK, the
oracle or a fixture changed).

Environment:
  CWSANDBOX_ORACLE        the oracle directory (default: ../shared/tools/cwsandbox-oracle
                          next to the repository)
  CWSANDBOX_ORACLE_VENV   venv holding the SDK (default: <tmp>/cwsandbox-oracle-venv; created
                          from the oracle's requirements.txt with python3.11 when missing)
  CWSANDBOX_PYTHON        interpreter for a new venv (default: python3.11 from PATH)
The sandbox side needs bubblewrap (`bwrap` on PATH).
"""

from __future__ import annotations

import argparse
import ast
import contextlib
import difflib
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

REPO = Path(__file__).resolve().parents[2]
SDK_PIN = "cwsandbox==1.22.0"
CELL_LIMIT = 140


@dataclass(frozen=True)
class Corpus:
    key: str
    directory: Path
    title: str
    intro: str
    examples: bool  # copies of the oracle's examples
    allow_not_called: bool
    selector: str = ""  # how the commands in README.md name the corpus; default `--corpus <key>`

    @property
    def rel(self) -> str:
        return self.directory.relative_to(REPO).as_posix()

    @property
    def oracle_jsonl(self) -> Path:
        return self.directory / "oracle.jsonl"

    @property
    def provenance(self) -> Path:
        return self.directory / "provenance.json"

    @property
    def readme(self) -> Path:
        return self.directory / "README.md"

    @property
    def warnings(self) -> Path:
        return self.directory / "warnings.json"

    def files(self) -> list[Path]:
        return sorted(self.directory.glob("*.py"))

    @property
    def cli(self) -> str:
        return self.selector or f"--corpus {self.key}"


CORPORA = {
    "examples": Corpus(
        "examples",
        REPO / "tests" / "fixtures" / "cwsandbox",
        "What the real cwsandbox SDK does with the oracle's example programs",
        "Copies of the example programs of the cwsandbox-oracle (one scenario each, the rows of "
        "`cwsandbox-semantics.md`), recorded again here so that the project carries its own truth.",
        examples=True,
        allow_not_called=True,
    ),
    "realistic": Corpus(
        "realistic",
        REPO / "tests" / "fixtures" / "realistic" / "cwsandbox",
        "What the real cwsandbox SDK does with realistic user programs",
        "Programs written the way ML, data-science, backend and ETL code is written, each mixing "
        "correct sandbox functions with the mistakes users make. About 40% of the functions are "
        "correct and run fine, so that false errors can be measured.",
        examples=False,
        allow_not_called=False,
    ),
}


def corpus_from_dir(text: str) -> Corpus:
    """A corpus for any directory of user programs inside the repository (`--dir`)."""
    path = Path(text)
    if not path.is_absolute():
        path = REPO / text if (REPO / text).is_dir() else Path.cwd() / text
    path = path.resolve()
    if not path.is_dir():
        raise SystemExit(f"{text}: not a directory")
    try:
        rel = path.relative_to(REPO).as_posix()
    except ValueError:
        raise SystemExit(f"{text}: not inside the repository {REPO.name}/") from None
    return Corpus(
        rel,
        path,
        "What the real cwsandbox SDK does with these user programs",
        "User programs, each mixing correct sandbox functions with the mistakes users make, "
        "recorded with `--dir`.",
        examples=False,
        allow_not_called=False,
        selector=f"--dir {rel}",
    )


# ----------------------------------------------------------------------------- locations
def oracle_dir() -> Path:
    return Path(os.environ.get("CWSANDBOX_ORACLE", REPO.parent / "shared" / "tools" / "cwsandbox-oracle"))


def venv_dir() -> Path:
    return Path(os.environ.get("CWSANDBOX_ORACLE_VENV", Path(tempfile.gettempdir()) / "cwsandbox-oracle-venv"))


def digest(paths: list[Path], base: Path) -> str:
    h = hashlib.sha256()
    for p in sorted(paths):
        h.update(p.relative_to(base).as_posix().encode() + b"\0" + p.read_bytes() + b"\0")
    return h.hexdigest()[:16]


def oracle_files(odir: Path) -> list[Path]:
    return sorted(odir.glob("*.py")) + [odir / "requirements.txt"]


# ----------------------------------------------------------------------------- fixtures
def is_function_decorator(node: ast.expr) -> bool:
    """`@<expr>.function` or `@<expr>.function(...)`: what the SDK strips and the oracle scans for."""
    if isinstance(node, ast.Call):
        node = node.func
    return isinstance(node, ast.Attribute) and node.attr == "function"


def scan_fixture(path: Path) -> dict[str, Any]:
    """The file's lines, every def (name -> def lines) and the decorated ones (as the oracle
    finds them: (name, def line) -> first decorator line)."""
    source = path.read_text(encoding="utf-8")
    tree = ast.parse(source, filename=str(path))
    defs: dict[str, list[int]] = {}
    decorated: dict[tuple[str, int], int] = {}
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            defs.setdefault(node.name, []).append(node.lineno)
            if any(is_function_decorator(d) for d in node.decorator_list):
                first = min([d.lineno for d in node.decorator_list] + [node.lineno])
                decorated[(node.name, node.lineno)] = first
    return {"lines": source.splitlines(), "defs": defs, "decorated": decorated}


def fixture_summary(path: Path) -> str:
    doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) or ""
    return doc.strip().splitlines()[0] if doc.strip() else ""


# ----------------------------------------------------------------------------- recording
def ensure_venv() -> Path:
    """The venv's python with the oracle's pinned SDK, created when missing."""
    venv = venv_dir()
    python = venv / "bin" / "python"
    probe = [str(python), "-c", "import cwsandbox, grpc; print(cwsandbox.__version__)"]
    if python.exists():
        got = subprocess.run(probe, capture_output=True, text=True)
        if got.returncode == 0 and got.stdout.strip() == SDK_PIN.split("==")[1]:
            return python
    base = os.environ.get("CWSANDBOX_PYTHON") or shutil.which("python3.11")
    if not base:
        raise SystemExit("python3.11 is not on PATH (set CWSANDBOX_PYTHON to a Python 3.11)")
    print(f"creating {venv} with {SDK_PIN}", file=sys.stderr)
    subprocess.run([base, "-m", "venv", str(venv)], check=True)
    subprocess.run([str(python), "-m", "pip", "install", "-q", "-r", str(oracle_dir() / "requirements.txt")],
                   check=True)
    subprocess.run(probe, check=True, capture_output=True)
    return python


@contextlib.contextmanager
def stand_in(python: Path) -> Iterator[str]:
    """The oracle's stand-in service on a free loopback port; yields its URL.

    Started here, not by the driver: the driver fails the whole run when the stand-in
    takes more than 30 s to exit after SIGTERM (grpc's server sometimes does), though
    every row is already written. Here it gets the same grace, then SIGKILL."""
    process = subprocess.Popen([str(python), "stand_in_server.py", "--port", "0", "--hash-seed", "0"],
                               cwd=oracle_dir(), stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        line = process.stdout.readline().strip()
        if not line.startswith("LISTENING "):
            raise SystemExit(f"the oracle's stand-in server did not start: {line!r}")
        yield "http://" + line.split(" ", 1)[1]
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
            print("note: the oracle's stand-in server ignored SIGTERM for 30 s and was killed", file=sys.stderr)


def run_oracle(corpus: Corpus, python: Path, jobs: int, url: str | None = None) -> list[dict[str, Any]]:
    """Rows of the driver for the corpus against the service at `url` (default: a fresh
    stand-in), with `file` made relative to the repository."""
    if url is None:
        with stand_in(python) as fresh:
            return run_oracle(corpus, python, jobs, fresh)
    with tempfile.TemporaryDirectory(prefix="cwsandbox-record-") as tmp:
        out = Path(tmp) / "oracle.jsonl"
        subprocess.run([str(python), "driver.py", str(corpus.directory), "-o", str(out), "-j", str(jobs),
                        "--server-url", url], cwd=oracle_dir(), check=True)
        lines = out.read_text(encoding="utf-8").splitlines()
    prefix = corpus.directory.name + "/"
    rows = []
    for line in lines:
        row = json.loads(line)
        if not row["file"].startswith(prefix):
            raise SystemExit(f"unexpected file in the driver's output: {row['file']}")
        row["file"] = corpus.rel + "/" + row["file"][len(prefix):]
        rows.append(row)
    return rows


def provenance(corpus: Corpus, python: Path) -> dict[str, Any]:
    odir = oracle_dir()
    versions = subprocess.run(
        [str(python), "-c", "import sys, cwsandbox; print(sys.version.split()[0], cwsandbox.__version__)"],
        check=True, capture_output=True, text=True,
    ).stdout.split()
    pins = [ln.strip() for ln in (odir / "requirements.txt").read_text(encoding="utf-8").splitlines()
            if ln.strip() and not ln.startswith("#")]
    meta: dict[str, Any] = {
        "sdk": f"cwsandbox=={versions[1]}",
        "python": versions[0],
        "requirements": pins,
        "oracle": "cwsandbox-oracle",
        "oracle_sha256": digest(oracle_files(odir), odir),
    }
    if corpus.examples:
        meta["examples_sha256"] = digest(sorted((odir / "examples").glob("*.py")), odir)
    return meta


def copy_examples(corpus: Corpus) -> None:
    src = oracle_dir() / "examples"
    corpus.directory.mkdir(parents=True, exist_ok=True)
    for old in corpus.files():
        if not (src / old.name).exists():
            old.unlink()
    for f in sorted(src.glob("*.py")):
        shutil.copyfile(f, corpus.directory / f.name)


def dump_rows(rows: list[dict[str, Any]]) -> str:
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)


def write_results(corpus: Corpus, rows: list[dict[str, Any]], meta: dict[str, Any]) -> None:
    corpus.provenance.write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    corpus.oracle_jsonl.write_text(dump_rows(rows), encoding="utf-8")
    corpus.readme.write_text(render_readme(corpus, rows, meta), encoding="utf-8")


def read_results(corpus: Corpus) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    meta = json.loads(corpus.provenance.read_text(encoding="utf-8"))
    rows = [json.loads(ln) for ln in corpus.oracle_jsonl.read_text(encoding="utf-8").splitlines() if ln]
    return meta, rows


# ----------------------------------------------------------------------------- summaries
def functions_of(rows: list[dict[str, Any]]) -> dict[tuple[str, int], list[dict[str, Any]]]:
    """Rows per decorated function (file, def line), in row order; `file` rows left out."""
    out: dict[tuple[str, int], list[dict[str, Any]]] = {}
    for row in rows:
        if row["function"] is not None:
            out.setdefault((row["file"], row["def_line"]), []).append(row)
    return out


def function_verdict(frows: list[dict[str, Any]]) -> str:
    """`ok` when every call returned a value; otherwise the first kind that is not ok."""
    kinds = [r["outcome"]["kind"] for r in frows]
    bad = [k for k in kinds if k != "ok"]
    return "ok" if not bad else bad[0]


def count_table(rows: list[dict[str, Any]]) -> list[str]:
    funcs = functions_of(rows)
    verdicts = Counter(function_verdict(fr) for fr in funcs.values())
    row_kinds = Counter(r["outcome"]["kind"] for r in rows if r["call"] != "file")
    kinds = sorted(set(verdicts) | set(row_kinds), key=lambda k: (k != "ok", k))
    lines = [
        f"{len(funcs)} decorated functions in {len({r['file'] for r in rows})} files, "
        f"{sum(row_kinds.values())} rows. A function counts as `ok` when every call of it "
        "returned a value; otherwise under the first outcome that was not `ok`.",
        "",
        "| outcome kind | functions | rows |",
        "|---|---|---|",
    ]
    for k in kinds:
        lines.append(f"| {k} | {verdicts.get(k, 0)} | {row_kinds.get(k, 0)} |")
    lines.append(f"| **total** | {len(funcs)} | {sum(row_kinds.values())} |")
    return lines


# ----------------------------------------------------------------------------- README
def cell(text: str | None) -> str:
    if text is None:
        return "`None`"
    text = text.splitlines()[0] if text else text
    if len(text) > CELL_LIMIT:
        text = text[: CELL_LIMIT - 1] + "…"
    return "`" + text.replace("|", "\\|").replace("`", "'") + "`" if text else "`''`"


def describe(outcome: dict[str, Any]) -> str:
    kind = outcome["kind"]
    if kind == "ok":
        return cell(outcome["value"])
    if kind == "sandbox_error":
        et, em = outcome.get("exception_type"), outcome.get("exception_message")
        return f"{cell(et)} / {cell(em)}"
    if kind in ("decorate_error", "client_error", "local_error", "uncaught"):
        phase = f" ({outcome['phase']})" if outcome.get("phase") else ""
        return cell(f"{outcome['type']}: {outcome['message']}") + phase
    if kind == "exit":
        return cell(f"exit code {outcome.get('code')}")
    return ""


def render_readme(corpus: Corpus, rows: list[dict[str, Any]], meta: dict[str, Any]) -> str:
    funcs = functions_of(rows)
    lines = [
        f"# {corpus.title}",
        "",
        "Generated by `tests/oracle/record_cwsandbox.py` from `oracle.jsonl`; do not edit by hand.",
        "",
        corpus.intro,
        "",
        f"Every function decorated with `@<session>.function()` was run through the real "
        f"`{meta['sdk']}` (Python {meta['python']}) by the cwsandbox-oracle, against a local "
        "stand-in of the sandbox service whose sandboxes run a package-free Python 3.11 with no "
        "network (so `container_image` is recorded but any image behaves like `python:3.11`).",
        "",
        f"- SDK: `{meta['sdk']}`; Python `{meta['python']}`",
        f"- oracle files: sha256 `{meta['oracle_sha256']}`"
        + (f"; examples: sha256 `{meta['examples_sha256']}`" if "examples_sha256" in meta else ""),
        "",
        "Rows (`oracle.jsonl`): one per event, sorted by the function's def line, then in call "
        "order. `call` is `remote`, `map` (one row per item, with `index`), `local`, `direct` "
        "(the decorated object called as a function), `decorate` (the decoration raised), "
        "`none` (never called) or `file` (the program died; its last row). Outcome kinds: `ok` "
        "(the value, as its repr), `client_error` (raised on the client: `call` by the call "
        "expression, `before_sandbox` at `.result()`/`await` before any sandbox existed, "
        "`after_sandbox` once one did), `sandbox_error` (`SandboxExecutionError`; the cell "
        "shows `exception_type` / `exception_message`, either may be `None`), "
        "`decorate_error`, `local_error`, `unresolved` (the ref was never `.result()`-ed or "
        "awaited), `not_called`, and for `file` rows `uncaught` / `exit`. `details` has the "
        "captured names and types, the JSON sent, the return code and the sandbox's stderr.",
        "",
        "`warnings.json` maps `file.py::function` to the warning codes a checker should report "
        "on it (AV302 lossy conversion, AV403 global write lost, AV404 exit in the sandbox), or "
        'to `{"raises": true}` (optionally with `"warnings": [...]`) when the body raises by '
        "design (a validation error, a deliberate exception or exit, a package the image lacks), "
        "so the failure is not a mistake a checker should report as an error.",
        "",
        "Re-record, check without the SDK, or compare a fresh recording with this one:",
        "",
        "```sh",
        f"python3 tests/oracle/record_cwsandbox.py {corpus.cli}",
        "python3 tests/oracle/record_cwsandbox.py --check" + (f" {corpus.cli}" if corpus.selector else ""),
        f"python3 tests/oracle/record_cwsandbox.py --compare {corpus.cli}",
        "```",
        "",
        "## Counts",
        "",
        *count_table(rows),
        "",
        "## Fixtures",
        "",
        "| fixture | functions | ok | covers |",
        "|---|---|---|---|",
    ]
    for path in corpus.files():
        rel = f"{corpus.rel}/{path.name}"
        mine = [fr for (f, _), fr in funcs.items() if f == rel]
        ok = sum(1 for fr in mine if function_verdict(fr) == "ok")
        summary = fixture_summary(path).replace("|", "\\|")
        lines.append(f"| [{path.name}]({path.name}) | {len(mine)} | {ok} | {summary} |")
    lines += [
        "",
        "## Results",
        "",
        "| fixture | function | def line | call | call line | outcome | value or exception |",
        "|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        name = Path(row["file"]).name
        call = row["call"] + (f" [{row['index']}]" if "index" in row else "")
        function = f"`{row['function']}`" if row["function"] else ""
        lines.append(
            f"| {name} | {function} | {row['def_line'] or ''} | {call} | {row['call_line'] or ''} "
            f"| {row['outcome']['kind']} | {describe(row['outcome'])} |"
        )
    lines.append("")
    return "\n".join(lines)


# ----------------------------------------------------------------------------- checking
def row_problems(corpus: Corpus, rows: list[dict[str, Any]]) -> list[str]:
    """Ways the rows disagree with the fixtures as they are now."""
    found: list[str] = []
    by_file: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        by_file.setdefault(row["file"], []).append(row)
    for path in corpus.files():
        rel = f"{corpus.rel}/{path.name}"
        scan = scan_fixture(path)
        file_rows = by_file.pop(rel, [])
        if not file_rows:
            found.append(f"{rel}: no recorded rows")
            continue
        recorded = {(r["function"], r["def_line"]) for r in file_rows if r["function"] is not None}
        for (name, line) in scan["decorated"]:
            if (name, line) not in recorded:
                found.append(f"{rel}:{line}: {name} has no recorded rows at its def line")
        names = Counter(name for name, _ in scan["decorated"])
        for name, n in names.items():
            if n > 1:
                found.append(f"{rel}: the sandbox function name {name} is not unique in the file")
        lines = scan["lines"]
        for row in file_rows:
            kind = row["outcome"]["kind"]
            where = f"{rel}:{row.get('call_line')}"
            if kind == "driver_failed":
                found.append(f"{rel}: the driver failed on the file")
                continue
            if row["call"] == "file":
                continue
            key = (row["function"], row["def_line"])
            if key not in scan["decorated"]:
                dynamic = row["details"].get("dynamic") and row["def_line"] in scan["defs"].get(row["function"], [])
                if not dynamic:
                    found.append(f"{rel}:{row['def_line']}: no decorated def {row['function']} there")
            if kind == "not_called" and not corpus.allow_not_called:
                found.append(f"{rel}:{row['def_line']}: {row['function']} is never called")
            line_no = row.get("call_line")
            text = lines[line_no - 1] if line_no and 0 < line_no <= len(lines) else None
            if row["call"] in ("remote", "map", "local"):
                if text is None or f".{row['call']}" not in text:
                    found.append(f"{where}: the {row['call']} call of {row['function']} is no longer there")
            elif row["call"] == "decorate":
                if text is None or not text.lstrip().startswith("@"):
                    found.append(f"{where}: the decorator of {row['function']} is no longer there")
    found += [f"{name}: recorded, but the fixture is gone" for name in by_file]
    return found


def warning_problems(corpus: Corpus, rows: list[dict[str, Any]]) -> list[str]:
    """warnings.json: "file.py::function" -> [codes], or {"raises": true, "warnings": [codes]}."""
    if not corpus.warnings.exists():
        return [f"{corpus.rel}/warnings.json is missing"]
    found = []
    data = json.loads(corpus.warnings.read_text(encoding="utf-8"))
    known = {f"{Path(r['file']).name}::{r['function']}" for r in rows if r["function"] is not None}
    for key, value in data.items():
        if key not in known:
            found.append(f"warnings.json: {key} is not a recorded sandbox function")
        if isinstance(value, dict):
            extra = set(value) - {"raises", "warnings"}
            if value.get("raises") is not True or extra:
                found.append(f'warnings.json: {key}: expected {{"raises": true}} with an optional "warnings" list')
            codes = value.get("warnings", ["AV000"])
        else:
            codes = value
        if not isinstance(codes, list) or not codes or not all(
                isinstance(c, str) and re.fullmatch(r"AV\d{3}", c) for c in codes):
            found.append(f"warnings.json: {key}: expected a non-empty list of rule codes, got {codes!r}")
    return found


def example_problems(corpus: Corpus) -> list[str]:
    src = oracle_dir() / "examples"
    if not corpus.examples or not src.is_dir():
        return []
    theirs = {p.name: p.read_bytes() for p in src.glob("*.py")}
    ours = {p.name: p.read_bytes() for p in corpus.files()}
    found = [f"{corpus.rel}/{n}: differs from the oracle's example" for n in sorted(ours)
             if n in theirs and theirs[n] != ours[n]]
    found += [f"{corpus.rel}/{n}: not an oracle example" for n in sorted(set(ours) - set(theirs))]
    found += [f"{corpus.rel}: example {n} is not copied (--copy-examples)" for n in sorted(set(theirs) - set(ours))]
    return found


def check(corpora: list[Corpus]) -> int:
    found: list[str] = []
    total = 0
    for corpus in corpora:
        meta, rows = read_results(corpus)
        total += len(rows)
        found += row_problems(corpus, rows)
        found += warning_problems(corpus, rows)
        found += example_problems(corpus)
        if corpus.readme.read_text(encoding="utf-8") != render_readme(corpus, rows, meta):
            found.append(f"{corpus.rel}/README.md is not what oracle.jsonl renders to")
    found = list(dict.fromkeys(found))
    for line in found:
        print(line, file=sys.stderr)
    if found:
        print("re-record with tests/oracle/record_cwsandbox.py", file=sys.stderr)
        return 1
    files = sum(len(c.files()) for c in corpora)
    print(f"{total} recorded rows match {files} fixtures in {len(corpora)} corpora")
    return 0


def preflight() -> None:
    odir = oracle_dir()
    if not (odir / "driver.py").exists():
        raise SystemExit(f"no cwsandbox-oracle at {odir} (set CWSANDBOX_ORACLE)")
    if not shutil.which("bwrap"):
        raise SystemExit("bubblewrap (bwrap) is not on PATH; the oracle's sandboxes need it")


def record(corpora: list[Corpus], jobs: int, copy: bool) -> int:
    preflight()
    python = ensure_venv()
    status = 0
    for corpus in corpora:
        if copy and corpus.examples:
            copy_examples(corpus)
        rows = run_oracle(corpus, python, jobs)
        found = list(dict.fromkeys(row_problems(corpus, rows)))
        for line in found:
            print(line, file=sys.stderr)
        write_results(corpus, rows, provenance(corpus, python))
        status |= 1 if found else 0
        print(f"{corpus.rel}: recorded {len(rows)} rows from {len(corpus.files())} fixtures", file=sys.stderr)
    return status


def compare(corpora: list[Corpus], jobs: int) -> int:
    preflight()
    python = ensure_venv()
    status = 0
    for corpus in corpora:
        fresh = dump_rows(run_oracle(corpus, python, jobs)).splitlines(keepends=True)
        kept = corpus.oracle_jsonl.read_text(encoding="utf-8").splitlines(keepends=True)
        if fresh != kept:
            status = 1
            diff = list(difflib.unified_diff(kept, fresh, f"{corpus.rel}/oracle.jsonl", "fresh recording", n=0))
            sys.stderr.writelines(diff[:80])
            if len(diff) > 80:
                print(f"... {len(diff) - 80} more diff lines", file=sys.stderr)
            print(f"{corpus.rel}: the fresh recording differs", file=sys.stderr)
        else:
            print(f"{corpus.rel}: {len(kept)} rows, identical", file=sys.stderr)
        meta = provenance(corpus, python)
        kept_meta = json.loads(corpus.provenance.read_text(encoding="utf-8"))
        if meta != kept_meta:
            print(f"{corpus.rel}: note: provenance differs: {json.dumps(meta)}", file=sys.stderr)
    return status


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--check", action="store_true", help="verify the recording without the SDK")
    mode.add_argument("--compare", action="store_true", help="record into a temp dir and diff")
    parser.add_argument("--corpus", choices=sorted(CORPORA), action="append",
                        help="limit to this corpus (repeatable; default: all)")
    parser.add_argument("--dir", action="append", metavar="DIR", dest="dirs",
                        help="a directory of user programs in the repository (repeatable); "
                             "without --corpus only these are run")
    parser.add_argument("--copy-examples", action="store_true",
                        help="refresh tests/fixtures/cwsandbox/*.py from the oracle's examples first")
    parser.add_argument("-j", "--jobs", type=int, default=2, help="files run in parallel by the driver")
    args = parser.parse_args()
    keys = args.corpus or ([] if args.dirs else sorted(CORPORA))
    corpora = [CORPORA[k] for k in keys] + [corpus_from_dir(d) for d in args.dirs or []]
    if args.check:
        return check(corpora)
    if args.compare:
        return compare(corpora, args.jobs)
    return record(corpora, args.jobs, args.copy_examples)


if __name__ == "__main__":
    sys.exit(main())
