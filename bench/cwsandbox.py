"""A trivial function, in one run, interleaved: `aviato-lsp run` on the local backend,
and on the aviato and cwsandbox backends against one `aviato-lsp sandbox-server` on
loopback, beside the real cwsandbox SDK's own `f.remote(2, 3).result()` against the
same server. Prints a Markdown table (milliseconds).

    cargo build --release && python3 bench/cwsandbox.py [target/release/aviato-lsp] [--runs N]

The server logs how long it took to answer each call
(`RUST_LOG=aviato_sandbox_server::timing=debug`); the sum over one run is the
server's own work (its sandboxes, its commands), and what is left of the run's time is
the client's overhead: process start, analysis and preparation for `aviato-lsp run`,
the calls' round trips and the waits between polls. For the SDK the run is timed
inside its process, around `f.remote(2, 3).result()` alone: its interpreter start and
`import cwsandbox` (reported apart) are left out of its overhead.

The SDK comes from the cwsandbox-oracle's venv (tests/oracle/record_cwsandbox.py makes
it: CWSANDBOX_ORACLE_VENV, default <tmp>/cwsandbox-oracle-venv).
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "bench"))
sys.path.insert(0, str(REPO / "tests" / "oracle"))
from run_startup import percentile  # noqa: E402

import record_cwsandbox as oracle  # noqa: E402

PROGRAM = '''\
from cwsandbox import SandboxDefaults, Session

with Session(SandboxDefaults()) as session:

    @session.function()
    def add(x, y):
        return x + y

    print(add.remote(2, 3).result())
'''

SDK_TIMED = '''\
import sys, time
began = time.perf_counter()
from cwsandbox import SandboxDefaults, Session
imported = time.perf_counter()

with Session(SandboxDefaults()) as session:

    @session.function()
    def add(x, y):
        return x + y

    start = time.perf_counter()
    value = add.remote(2, 3).result()
    took = time.perf_counter() - start
print(value, took * 1000, (imported - began) * 1000)
'''

MICROS = re.compile(r"aviato_sandbox_server::timing.*micros=(\d+)")


class Server:
    def __init__(self, binary: str, state: str) -> None:
        self.process = subprocess.Popen(
            [binary, "sandbox-server", "--listen", "127.0.0.1:0", "--state-dir", state],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
            env={**os.environ, "RUST_LOG": "aviato_sandbox_server::timing=debug", "NO_COLOR": "1"},
        )
        self.url = self.process.stdout.readline().strip().rsplit(" ", 1)[-1]
        self.lines: list[str] = []
        self.lock = threading.Lock()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.process.stderr:
            with self.lock:
                self.lines.append(line)

    def take_work_ms(self) -> float:
        """The server's time on the calls logged since the last take."""
        time.sleep(0.05)
        with self.lock:
            lines, self.lines = self.lines, []
        return sum(int(m.group(1)) for line in lines if (m := MICROS.search(line))) / 1000

    def stop(self) -> None:
        os.killpg(self.process.pid, signal.SIGTERM)
        self.process.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("binary", nargs="?", default=str(REPO / "target" / "release" / "aviato-lsp"))
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    python = oracle.ensure_venv()
    with tempfile.TemporaryDirectory() as directory:
        server = Server(args.binary, os.path.join(directory, "state"))
        try:
            program = os.path.join(directory, "add.py")
            Path(program).write_text(PROGRAM)
            sdk_program = os.path.join(directory, "sdk_add.py")
            Path(sdk_program).write_text(SDK_TIMED)
            run = [args.binary, "run", program, "--function", "add", "--backend"]
            commands = {
                "`aviato-lsp run --backend local`": run + ["local"],
                "`aviato-lsp run --backend aviato` (Connect JSON)": run + ["aviato", "--base-url", server.url],
                "`aviato-lsp run --backend cwsandbox` (gRPC)": run + ["cwsandbox", "--base-url", server.url],
                "the cwsandbox SDK, `f.remote(2, 3).result()` (gRPC)": [str(python), sdk_program],
            }
            sdk_env = {**os.environ, "CWSANDBOX_BASE_URL": server.url,
                       "CWSANDBOX_DISABLE_SIGNAL_HANDLERS": "1"}
            sdk_env.pop("CWSANDBOX_API_KEY", None)
            wall = {name: [] for name in commands}
            work = {name: [] for name in commands}
            sdk_process, sdk_import = [], []
            server.take_work_ms()
            for _ in range(args.runs):
                for name, command in commands.items():
                    sdk = command[0] == str(python)
                    start = time.perf_counter()
                    result = subprocess.run(command, capture_output=True, text=True,
                                            env=sdk_env if sdk else None)
                    elapsed = (time.perf_counter() - start) * 1000
                    out = result.stdout.split()
                    if not out or out[0] != "5":
                        sys.exit(f"{name}: {result.stdout}{result.stderr}")
                    if sdk:
                        sdk_process.append(elapsed)
                        sdk_import.append(float(out[2]))
                        elapsed = float(out[1])
                    wall[name].append(elapsed)
                    work[name].append(server.take_work_ms())
        finally:
            server.stop()
    print(f"| {args.runs} runs each, interleaved | p50 | p95 | server's work (p50) | client's overhead (p50) |")
    print("|---|---|---|---|---|")
    for name in commands:
        overhead = [w - s for w, s in zip(wall[name], work[name])]
        server_cell = f"{statistics.median(work[name]):.0f}" if any(work[name]) else "–"
        overhead_cell = f"{statistics.median(overhead):.0f}" if any(work[name]) else "–"
        print(f"| {name} | {statistics.median(wall[name]):.0f} | {percentile(wall[name], 0.95):.0f} "
              f"| {server_cell} | {overhead_cell} |")
    print()
    print(f"The SDK's process, start to end: p50 {statistics.median(sdk_process):.0f} ms, of which "
          f"`import cwsandbox` p50 {statistics.median(sdk_import):.0f} ms.")


if __name__ == "__main__":
    main()
