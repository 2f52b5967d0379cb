"""A trivial function through `aviato-lsp run`, on the local backend and on the
aviato backend against a self-hosted `aviato-lsp sandbox-server` on loopback,
interleaved, 30 runs each. Prints a Markdown table (milliseconds).

    cargo build --release && python3 bench/remote.py [target/release/aviato-lsp]
"""

import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(__file__))
from run_startup import TRIVIAL, percentile  # noqa: E402

RUNS = 30


def main():
    binary = sys.argv[1] if len(sys.argv) > 1 else "target/release/aviato-lsp"
    with tempfile.TemporaryDirectory() as directory:
        server = subprocess.Popen(
            [binary, "sandbox-server", "--listen", "127.0.0.1:0", "--state-dir", os.path.join(directory, "state")],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            start_new_session=True,
        )
        try:
            url = server.stdout.readline().strip().rsplit(" ", 1)[-1]
            script = os.path.join(directory, "add.py")
            with open(script, "w") as file:
                file.write(TRIVIAL)
            run = [binary, "run", script, "--function", "add", "--backend"]
            commands = {"local": run + ["local"], "aviato (sandbox-server on loopback)": run + ["aviato", "--base-url", url]}
            samples = {name: [] for name in commands}
            for _ in range(RUNS):
                for name, command in commands.items():
                    start = time.perf_counter()
                    result = subprocess.run(command, capture_output=True, text=True)
                    samples[name].append((time.perf_counter() - start) * 1000)
                    if result.stdout.strip() != "5":
                        sys.exit(f"{name}: {result.stdout}{result.stderr}")
        finally:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait()
    print(f"| `aviato-lsp run --backend ...` ({RUNS} runs, interleaved) | p50 (ms) | p95 (ms) |")
    print("|---|---|---|")
    for name, values in samples.items():
        print(f"| {name} | {statistics.median(values):.0f} | {percentile(values, 0.95):.0f} |")


if __name__ == "__main__":
    main()
