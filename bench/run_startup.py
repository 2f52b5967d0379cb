"""Cold start of "Run in sandbox": `aviato-lsp run` on a trivial function, beside
bare `python3 -c pass` and bare `bwrap ... python3 -c pass`, interleaved, 30 runs
each. Prints a Markdown table (milliseconds).

    cargo build --release && python3 bench/run_startup.py [target/release/aviato-lsp]
"""

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

RUNS = 30
TRIVIAL = '''import asyncio
from aviato import Sandbox


async def main():
    async with Sandbox.session() as session:

        @session.function()
        def add(x, y):
            return x + y

        print(await add(2, 3))


asyncio.run(main())
'''


def percentile(samples, fraction):
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(len(ordered) * fraction))]


def main():
    binary = sys.argv[1] if len(sys.argv) > 1 else "target/release/aviato-lsp"
    python = os.path.realpath(shutil.which("python3"))
    prefix = os.path.dirname(os.path.dirname(python))
    bwrap = ["bwrap", "--unshare-all", "--die-with-parent", "--new-session", "--proc", "/proc", "--dev", "/dev"]
    for path in ("/usr", "/lib", "/lib64", "/bin", "/etc", prefix):
        if os.path.exists(path):
            bwrap += ["--ro-bind", path, path]
    with tempfile.TemporaryDirectory() as directory:
        script = os.path.join(directory, "add.py")
        with open(script, "w") as file:
            file.write(TRIVIAL)
        commands = {
            "`python3 -c pass`": [python, "-c", "pass"],
            "`bwrap ... python3 -c pass`": bwrap + [python, "-c", "pass"],
            "`aviato-lsp run add.py --function add`": [binary, "run", script, "--function", "add"],
        }
        samples = {name: [] for name in commands}
        for _ in range(RUNS):
            for name, command in commands.items():
                start = time.perf_counter()
                result = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
                elapsed = (time.perf_counter() - start) * 1000
                if result.returncode != 0:
                    sys.exit(f"{name} failed: {result.stderr.decode()}")
                samples[name].append(elapsed)
    print(f"| command ({RUNS} cold runs, interleaved) | p50 (ms) | p95 (ms) |")
    print("|---|---|---|")
    for name, values in samples.items():
        print(f"| {name} | {statistics.median(values):.0f} | {percentile(values, 0.95):.0f} |")
    ratio = statistics.median(samples["`aviato-lsp run add.py --function add`"]) / statistics.median(
        samples["`python3 -c pass`"]
    )
    print(f"\n`aviato-lsp run` p50 / bare Python p50: {ratio:.2f}x")


if __name__ == "__main__":
    main()
