#!/usr/bin/env python3
"""Record what the real aviato SDK does with every fixture of a corpus directory.

    AVIATO_SDK_GIT=<git dir of coreweave/cwsandbox-client> python3 tests/oracle/record.py
    AVIATO_SDK_GIT=... python3 tests/oracle/record.py --corpus tests/fixtures/realistic/aviato
    python3 tests/oracle/record.py --check [--corpus DIR ...]

The corpus is tests/fixtures/sdk/ unless `--corpus` names others (repeatable; relative
to the repository root or the current directory). Recording runs each fixture of the
corpus through the sdk-oracle (the real SDK at commit e860000 with a local stand-in
sandbox) and writes into the corpus directory:

* oracle.jsonl: one JSON object per decorated function, as the oracle reports it (file,
  function, qualname, def_line, outcome, details), with `file` made relative to the
  repository and `call` added: the line and source of the awaited call in the fixture
  (`await f(...)`, or `f(...)` given directly to `asyncio.gather`), so another runner
  can repeat it with the same arguments.
* provenance.json: the SDK commit, Python and pydantic versions, and a digest of the
  oracle's files.
* README.md: the same results as a table.

`--check` needs neither the SDK nor the oracle: it verifies that oracle.jsonl still
matches the fixtures (every decorated function has exactly one row, at its current
def line) and that README.md is the table oracle.jsonl renders to.

Environment: SDK_ORACLE (default ../shared/tools/sdk-oracle next to the repository),
ORACLE_VENV (default /tmp/oracle-venv; created with pydantic==2.12.5 if missing),
AVIATO_SDK_COMMIT (default e860000).
"""

from __future__ import annotations

import argparse
import ast
import hashlib
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
DEFAULT_CORPUS = REPO / "tests" / "fixtures" / "sdk"
DEFAULT_ORACLE = REPO.parent / "shared" / "tools" / "sdk-oracle"
PYDANTIC = "pydantic==2.12.5"
SDK_REPOSITORY = "coreweave/cwsandbox-client"
CELL_LIMIT = 160


# ----------------------------------------------------------------------------- fixtures
def is_function_decorator(node: ast.expr) -> bool:
    """The decorator shape the SDK strips: `<expr>.function` or `<expr>.function(...)`."""
    if isinstance(node, ast.Call):
        node = node.func
    return isinstance(node, ast.Attribute) and node.attr == "function"


def is_gather(node: ast.Call) -> bool:
    """`asyncio.gather(...)` or `gather(...)`: each positional argument is awaited."""
    func = node.func
    name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
    return name == "gather"


def scan_fixture(path: Path) -> dict[str, Any]:
    """Decorated defs (name -> def line) and awaited calls (name -> [(line, source)])."""
    source = path.read_text(encoding="utf-8")
    tree = ast.parse(source, filename=str(path))
    sandbox_defs: dict[str, list[int]] = {}
    decorated_defs: dict[str, list[int]] = {}
    calls: dict[str, list[tuple[int, str]]] = {}

    def awaited(call: ast.Call) -> None:
        func = call.func
        name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
        if name is not None:
            text = ast.get_source_segment(source, call) or ""
            calls.setdefault(name, []).append((call.lineno, text))

    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.decorator_list:
            decorated_defs.setdefault(node.name, []).append(node.lineno)
            if any(is_function_decorator(d) for d in node.decorator_list):
                sandbox_defs.setdefault(node.name, []).append(node.lineno)
        elif isinstance(node, ast.Await) and isinstance(node.value, ast.Call):
            if is_gather(node.value):
                for arg in node.value.args:
                    if isinstance(arg, ast.Call):
                        awaited(arg)
            else:
                awaited(node.value)
    return {"sandbox_defs": sandbox_defs, "decorated_defs": decorated_defs, "calls": calls}


class Corpus:
    """A fixture directory and the files recorded into it."""

    def __init__(self, path: Path) -> None:
        self.dir = path.resolve()
        self.oracle_jsonl = self.dir / "oracle.jsonl"
        self.provenance = self.dir / "provenance.json"
        self.readme = self.dir / "README.md"

    @property
    def rel(self) -> str:
        return self.dir.relative_to(REPO).as_posix()

    def files(self) -> list[Path]:
        return sorted(self.dir.glob("*.py"))


def corpus_from_argument(text: str) -> Corpus:
    path = Path(text)
    if not path.is_absolute():
        path = REPO / text if (REPO / text).is_dir() else Path.cwd() / text
    path = path.resolve()
    if not path.is_dir():
        raise SystemExit(f"{text}: not a directory")
    try:
        path.relative_to(REPO)
    except ValueError:
        raise SystemExit(f"{text}: not inside the repository {REPO.name}/") from None
    return Corpus(path)


def fixture_summary(path: Path) -> str:
    doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) or ""
    return doc.strip().splitlines()[0] if doc.strip() else ""


# ----------------------------------------------------------------------------- recording
def ensure_venv(venv: Path) -> Path:
    python = venv / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "-q", PYDANTIC], check=True)
    return python


def run_oracle(corpus: Corpus, oracle_dir: Path, python: Path) -> list[dict[str, Any]]:
    with tempfile.TemporaryDirectory(prefix="aviato-record-") as tmp:
        out = Path(tmp) / "oracle.jsonl"
        subprocess.run(
            [str(python), "driver.py", str(corpus.dir), "-o", str(out)],
            cwd=oracle_dir,
            check=True,
        )
        return [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines() if line]


def add_call_sites(corpus: Corpus, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    scans: dict[str, dict[str, Any]] = {}
    result = []
    for row in rows:
        name = Path(row["file"]).name
        row_file = (corpus.dir / name).relative_to(REPO).as_posix()
        scan = scans.setdefault(name, scan_fixture(corpus.dir / name))
        sites = scan["calls"].get(row["function"], [])
        call = {"line": sites[0][0], "source": sites[0][1]} if len(sites) == 1 else None
        result.append(
            {
                "file": row_file,
                "function": row["function"],
                "qualname": row["qualname"],
                "def_line": row["def_line"],
                "call": call,
                "outcome": row["outcome"],
                "details": row["details"],
            }
        )
    return result


def provenance(python: Path, oracle_dir: Path) -> dict[str, str]:
    git_dir = os.environ["AVIATO_SDK_GIT"]
    commit = os.environ.get("AVIATO_SDK_COMMIT", "e860000")
    full = subprocess.run(
        ["git", "-C", git_dir, "rev-parse", "--verify", f"{commit}^{{commit}}"],
        check=True, capture_output=True, text=True,
    ).stdout.strip()
    version = subprocess.run(
        [str(python), "-c", "import sys, pydantic; print(sys.version.split()[0], pydantic.VERSION)"],
        check=True, capture_output=True, text=True,
    ).stdout.split()
    digest = hashlib.sha256()
    for name in sorted(p.name for p in oracle_dir.glob("*.py")):
        digest.update(name.encode() + b"\0" + (oracle_dir / name).read_bytes())
    return {
        "sdk": f"{SDK_REPOSITORY}@{full}",
        "python": version[0],
        "pydantic": version[1],
        "oracle": digest.hexdigest()[:16],
    }


# ----------------------------------------------------------------------------- README
def cell(text: str) -> str:
    text = text.splitlines()[0] if text else text
    if len(text) > CELL_LIMIT:
        text = text[: CELL_LIMIT - 1] + "…"
    return "`" + text.replace("|", "\\|").replace("`", "'") + "`" if text else ""


def describe(outcome: dict[str, Any]) -> str:
    kind = outcome["kind"]
    if kind == "ok":
        return cell(outcome["value"])
    if kind == "sandbox_error":
        return cell(f"{outcome['exception_type']}: {outcome['exception_message']}")
    if kind in ("decorate_error", "client_error"):
        return cell(f"{outcome['type']}: {outcome['message']}")
    return ""


def render_readme(corpus: Corpus, rows: list[dict[str, Any]], meta: dict[str, str]) -> str:
    command = "python3 tests/oracle/record.py"
    if corpus.dir != DEFAULT_CORPUS.resolve():
        command += f" --corpus {corpus.rel}"
    lines = [
        "# What the real aviato SDK does with these fixtures",
        "",
        "Generated by `tests/oracle/record.py` from `oracle.jsonl`; do not edit by hand.",
        "Each fixture is ordinary user code. Every function decorated with `@session.function()`",
        "was run through the real SDK with a local stand-in sandbox (Python "
        f"{meta['python']}, which plays the SDK's default `python:3.11` image).",
        "",
        f"- SDK: `{meta['sdk']}`",
        f"- pydantic: `{meta['pydantic']}`",
        f"- sdk-oracle files: sha256 `{meta['oracle']}`",
        "",
        "Outcome kinds: `ok` (the value returned, as its repr), `decorate_error` (raised when the",
        "decorator was applied), `client_error` (raised on the client at the `await`),",
        "`sandbox_error` (`SandboxExecutionError`; the cell shows its `exception_type` and",
        "`exception_message`, either of which may be `None`). `oracle.jsonl` has the full",
        "messages, the payload the SDK sent and the sandbox's stderr.",
        "",
        "Re-record (needs a git copy of the SDK repository):",
        "",
        "```sh",
        f"AVIATO_SDK_GIT=<git dir of coreweave/cwsandbox-client> {command}",
        "```",
        "",
        "## Fixtures",
        "",
        "| fixture | covers |",
        "|---|---|",
    ]
    for path in corpus.files():
        summary = fixture_summary(path).replace("|", "\\|")
        lines.append(f"| [{path.name}]({path.name}) | {summary} |")
    lines += [
        "",
        "## Results",
        "",
        "| fixture | function | def line | outcome | value or exception |",
        "|---|---|---|---|---|",
    ]
    for row in rows:
        name = Path(row["file"]).name
        lines.append(
            f"| {name} | `{row['function']}` | {row['def_line']} | {row['outcome']['kind']} "
            f"| {describe(row['outcome'])} |"
        )
    lines.append("")
    return "\n".join(lines)


def write_results(corpus: Corpus, rows: list[dict[str, Any]], meta: dict[str, str]) -> None:
    corpus.provenance.write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    with corpus.oracle_jsonl.open("w", encoding="utf-8") as fh:
        for row in rows:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    corpus.readme.write_text(render_readme(corpus, rows, meta), encoding="utf-8")


def read_results(corpus: Corpus) -> tuple[dict[str, str], list[dict[str, Any]]]:
    meta = json.loads(corpus.provenance.read_text(encoding="utf-8"))
    text = corpus.oracle_jsonl.read_text(encoding="utf-8")
    rows = [json.loads(line) for line in text.splitlines() if line]
    return meta, rows


# ----------------------------------------------------------------------------- checking
def problems(corpus: Corpus, rows: list[dict[str, Any]]) -> list[str]:
    """Ways the rows disagree with the fixtures as they are now."""
    found: list[str] = []
    by_file: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        by_file.setdefault(Path(row["file"]).name, []).append(row)
        if row["outcome"]["kind"] == "not_called":
            found.append(f"{row['file']}:{row['def_line']}: {row['function']} was never called")
    for path in corpus.files():
        scan = scan_fixture(path)
        file_rows = by_file.pop(path.name, [])
        seen = {(r["function"], r["def_line"]) for r in file_rows}
        for name, lines in scan["sandbox_defs"].items():
            if len(lines) > 1:
                found.append(f"{path.name}: sandbox function name {name} is not unique")
            for line in lines:
                if (name, line) not in seen:
                    found.append(f"{path.name}:{line}: {name} has no recorded outcome")
        for row in file_rows:
            if row["def_line"] not in scan["decorated_defs"].get(row["function"], []):
                found.append(f"{path.name}:{row['def_line']}: no decorated def {row['function']} there")
            sites = scan["calls"].get(row["function"], [])
            expected = {"line": sites[0][0], "source": sites[0][1]} if len(sites) == 1 else None
            if row["call"] != expected:
                found.append(f"{path.name}: awaited call of {row['function']} changed")
    found += [f"{name}: recorded, but the fixture is gone" for name in by_file]
    return found


def check(corpus: Corpus) -> int:
    meta, rows = read_results(corpus)
    found = problems(corpus, rows)
    if corpus.readme.read_text(encoding="utf-8") != render_readme(corpus, rows, meta):
        found.append("README.md is not the table oracle.jsonl renders to")
    for line in found:
        print(f"{corpus.rel}: {line}", file=sys.stderr)
    if found:
        print("re-record with tests/oracle/record.py", file=sys.stderr)
        return 1
    print(f"{len(rows)} recorded outcomes match {len(corpus.files())} fixtures in {corpus.rel}")
    return 0


def record(corpus: Corpus) -> int:
    if not os.environ.get("AVIATO_SDK_GIT"):
        print("AVIATO_SDK_GIT must name a git dir of coreweave/cwsandbox-client", file=sys.stderr)
        return 2
    oracle_dir = Path(os.environ.get("SDK_ORACLE", str(DEFAULT_ORACLE)))
    python = ensure_venv(Path(os.environ.get("ORACLE_VENV", "/tmp/oracle-venv")))
    rows = add_call_sites(corpus, run_oracle(corpus, oracle_dir, python))
    found = problems(corpus, rows)
    for line in found:
        print(f"{corpus.rel}: {line}", file=sys.stderr)
    if found:
        return 1
    write_results(corpus, rows, provenance(python, oracle_dir))
    print(f"recorded {len(rows)} outcomes from {len(corpus.files())} fixtures in {corpus.rel}")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="verify the recording without running the SDK")
    parser.add_argument(
        "--corpus",
        action="append",
        metavar="DIR",
        help="fixture directory to record or check (repeatable; default tests/fixtures/sdk)",
    )
    args = parser.parse_args()
    corpora = [corpus_from_argument(text) for text in args.corpus or [str(DEFAULT_CORPUS)]]
    status = 0
    for corpus in corpora:
        status = max(status, check(corpus) if args.check else record(corpus))
    return status


if __name__ == "__main__":
    sys.exit(main())
