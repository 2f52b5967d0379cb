#!/usr/bin/env python3
"""The real cwsandbox SDK, unmodified, against `aviato-lsp sandbox-server`.

    python3 tests/remote/real_sdk.py                      # both corpora
    python3 tests/remote/real_sdk.py --corpus examples    # one of them
    python3 tests/remote/real_sdk.py --dir tests/fixtures/heldout/cwsandbox   # any recorded corpus

Installs `cwsandbox` from PyPI with the cwsandbox-oracle's pinned requirements (into
the oracle's venv, as tests/oracle/record_cwsandbox.py does), starts
`aviato-lsp sandbox-server` on a free loopback port with a fresh state directory, and
runs every program of the cwsandbox corpora (tests/fixtures/cwsandbox/, the oracle's
example programs, and tests/fixtures/realistic/cwsandbox/) through the oracle's
driver with `--server-url`, so that the SDK's gRPC calls go to the server. Every row
(value, exception as the SDK reports it, or client error) must be the one recorded
with the oracle's stand-in in the corpus's oracle.jsonl.

Then the server is shut down, and nothing of its sandboxes may be left in its state
directory.

One difference is expected where a corpus asks for it: the stand-in runs every image
on Python 3.11, the server on the image's Python when this machine has it (so
`python:3.12-slim` reports 3.12 here, as the service would); the held-out corpus has
one such row.

Environment: AVIATO_LSP_BIN (default target/debug/aviato-lsp, built with cargo when
missing), and those of tests/oracle/record_cwsandbox.py (CWSANDBOX_ORACLE,
CWSANDBOX_ORACLE_VENV, CWSANDBOX_PYTHON). Needs bubblewrap and Python 3.11.
"""

from __future__ import annotations

import argparse
import difflib
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests" / "oracle"))

import record_cwsandbox as oracle  # noqa: E402


def server_binary() -> Path:
    given = os.environ.get("AVIATO_LSP_BIN")
    if given:
        return Path(given)
    binary = REPO / "target" / "debug" / "aviato-lsp"
    if not binary.exists():
        subprocess.run(["cargo", "build", "--locked", "-p", "aviato-lsp"], cwd=REPO, check=True)
    return binary


class Server:
    """`aviato-lsp sandbox-server` on a free loopback port, with its own state directory."""

    def __init__(self, binary: Path) -> None:
        self.state = tempfile.TemporaryDirectory(prefix="aviato-real-sdk-")
        self.log: list[str] = []
        self.process = subprocess.Popen(
            [str(binary), "sandbox-server", "--listen", "127.0.0.1:0", "--state-dir", self.state.name],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            env={**os.environ, "RUST_LOG": "aviato_sandbox_server=info", "NO_COLOR": "1"},
        )
        assert self.process.stdout is not None and self.process.stderr is not None
        line = self.process.stdout.readline()
        match = re.search(r"listening on (http://\S+)", line)
        if not match:
            self.process.kill()
            raise SystemExit(f"the sandbox server did not start: {line!r} {self.process.stderr.read()}")
        self.url = match.group(1)
        threading.Thread(target=self._collect, daemon=True).start()

    def _collect(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self.log.append(line.rstrip("\n"))

    def stop(self) -> list[str]:
        """Shuts the server down; what is left of its sandboxes' files."""
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.process.kill()
            raise SystemExit("the sandbox server did not stop within 60 s of SIGTERM")
        left = sorted(p.name for p in Path(self.state.name).iterdir() if p.name.startswith("sb-"))
        self.state.cleanup()
        return left


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", action="append", choices=sorted(oracle.CORPORA),
                    help="only this corpus (repeatable; default: all)")
    ap.add_argument("--dir", action="append", metavar="DIR", dest="dirs", default=[],
                    help="also a directory of programs recorded with record_cwsandbox.py --dir")
    ap.add_argument("-j", "--jobs", type=int, default=2, help="programs run at once (default 2)")
    args = ap.parse_args()

    python = oracle.ensure_venv()
    binary = server_binary()
    server = Server(binary)
    print(f"sandbox server at {server.url}", flush=True)
    failures = 0
    try:
        keys = args.corpus or ([] if args.dirs else sorted(oracle.CORPORA))
        corpora = [oracle.CORPORA[key] for key in keys]
        corpora += [oracle.corpus_from_dir(text) for text in args.dirs]
        for corpus in corpora:
            began = time.monotonic()
            got = oracle.run_oracle(corpus, python, args.jobs, server.url)
            expected = [json.loads(line) for line in
                        corpus.oracle_jsonl.read_text(encoding="utf-8").splitlines()]
            elapsed = time.monotonic() - began
            if got == expected:
                print(f"{corpus.rel}: {len(got)} rows, all as recorded with the stand-in "
                      f"({elapsed:.1f} s)", flush=True)
                continue
            failures += 1
            print(f"{corpus.rel}: differs from {corpus.oracle_jsonl.relative_to(REPO)}:", flush=True)
            sys.stdout.writelines(difflib.unified_diff(
                oracle.dump_rows(expected).splitlines(keepends=True),
                oracle.dump_rows(got).splitlines(keepends=True),
                "recorded with the stand-in", "against aviato-lsp sandbox-server"))
    finally:
        left = server.stop()
    if left:
        failures += 1
        print(f"the server left sandboxes' files behind after shutting down: {left}")
    if failures:
        print("\n".join(server.log[-40:]), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
