"""`aviato-lsp server` beside `ruff server` on the generated 10,000-line aviato
file, over stdio LSP, interleaved: each round starts both servers, opens the
file in each (the order alternating by round), then makes 40 one-line edits,
each sent to one server and its diagnostics awaited before the same edit goes
to the other (which goes first alternates). Times, from writing the
notification to reading the `publishDiagnostics` it brings:

- open: `didOpen` to the first diagnostics (one sample per round);
- edit: `didChange` to the diagnostics of that version;
- CPU per edit: the server's CPU time (all threads) over the edits, divided by
  their number, which a busy machine changes less than it changes wall time.

Prints a Markdown table and the ratios against the targets (edit p50 at most
half Ruff's, open at most Ruff's). Ruff (0.17.x, the newest that installs) is
installed into a venv under target/ on first use.

    cargo build --release -p aviato-lsp && python3 bench/lsp_vs_ruff.py
    python3 bench/lsp_vs_ruff.py --rounds 3 --edits 40 --bin target/release/aviato-lsp
"""

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import generated  # noqa: E402
from lspclient import Server, percentile  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RUFF_REQUIREMENT = "ruff>=0.17,<0.18"


def install_ruff(venv):
    ruff = os.path.join(venv, "bin", "ruff")
    if not os.path.exists(ruff):
        print(f"installing {RUFF_REQUIREMENT} into {os.path.relpath(venv, ROOT)}", file=sys.stderr)
        subprocess.run([sys.executable, "-m", "venv", venv], check=True)
        subprocess.run(
            [os.path.join(venv, "bin", "pip"), "install", "-q", RUFF_REQUIREMENT],
            check=True,
        )
    version = subprocess.run([ruff, "--version"], capture_output=True, text=True, check=True)
    return ruff, version.stdout.strip()


def edit_lines(text):
    """The 0-based lines one-line edits change: each sandbox function's
    `total = 0.0`, 200 of them, one per function."""
    return [number for number, line in enumerate(text.split("\n")) if line == "            total = 0.0"]


class Subject:
    def __init__(self, label, command, directory):
        self.label = label
        self.command = command
        self.directory = directory
        self.open = []
        self.edits = []
        self.start = []
        self.rss_open = []
        self.rss_end = []
        self.diagnostics = []
        self.cpu = 0.0


def start(subject):
    began = time.perf_counter()
    server = Server(subject.command, cwd=subject.directory, name=subject.label)
    server.initialize(subject.directory)
    subject.start.append((time.perf_counter() - began) * 1000)
    return server


def measure_open(subject, server, uri, text):
    sent = server.open(uri, text)
    arrived, params = server.diagnostics(uri, 1)
    subject.open.append((arrived - sent) * 1000)
    subject.rss_open.append(server.rss_kb())
    subject.diagnostics.append(len(params["diagnostics"]))


def measure_edit(subject, server, uri, version, change):
    sent = server.change(uri, version, [change])
    arrived, _ = server.diagnostics(uri, version)
    subject.edits.append((arrived - sent) * 1000)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bin", default=os.path.join(ROOT, "target/release/aviato-lsp"))
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--edits", type=int, default=40, help="one-line edits per round")
    parser.add_argument("--venv", default=os.path.join(ROOT, "target/bench-venv"))
    arguments = parser.parse_args()
    # The servers run in a temporary directory.
    arguments.bin = os.path.abspath(arguments.bin)

    ruff, ruff_version = install_ruff(arguments.venv)
    text = generated.source()
    lines = edit_lines(text)
    assert len(lines) == generated.FUNCTIONS, len(lines)

    with tempfile.TemporaryDirectory(prefix="lsp-vs-ruff-") as directory:
        path = os.path.join(directory, "generated.py")
        with open(path, "w") as file:
            file.write(text)
        uri = f"file://{path}"
        subjects = [
            Subject("aviato-lsp server", [arguments.bin, "server"], directory),
            Subject(f"ruff server ({ruff_version})", [ruff, "server"], directory),
        ]
        for round_number in range(arguments.rounds):
            order = subjects if round_number % 2 == 0 else subjects[::-1]
            servers = {subject.label: start(subject) for subject in order}
            for subject in order:
                measure_open(subject, servers[subject.label], uri, text)
            cpu_before = {subject.label: servers[subject.label].cpu_ms() for subject in order}
            for edit in range(arguments.edits):
                # Edits come in pairs on one line: a new value, then the old one
                # back, so the file is the same at the end of each round.
                line = lines[(edit // 2 * 37 + round_number * 11) % len(lines)]
                value = f"{edit // 2 + 1}.0" if edit % 2 == 0 else "0.0"
                change = {
                    "range": {"start": {"line": line, "character": 0}, "end": {"line": line + 1, "character": 0}},
                    "text": f"            total = {value}\n",
                }
                version = edit + 2
                pair = order if edit % 2 == 0 else order[::-1]
                for subject in pair:
                    measure_edit(subject, servers[subject.label], uri, version, change)
            for subject in order:
                subject.cpu += servers[subject.label].cpu_ms() - cpu_before[subject.label]
                subject.rss_end.append(servers[subject.label].rss_kb())
                servers[subject.label].stop()

    ours, theirs = subjects
    rounds, edits = arguments.rounds, arguments.edits
    print(f"Generated file: {len(text.splitlines())} lines, {generated.FUNCTIONS} sandbox functions, "
          f"{rounds} rounds of open + {edits} one-line edits, interleaved.\n")
    print("| server | edit p50 (ms) | edit p95 (ms) | CPU per edit (ms) | open p50 (ms) "
          "| start + initialize p50 (ms) | diagnostics | RSS after open / end (MB) |")
    print("|---|---|---|---|---|---|---|---|")
    for subject in subjects:
        print(
            f"| `{subject.label}` | {statistics.median(subject.edits):.1f} | {percentile(subject.edits, 0.95):.1f} "
            f"| {subject.cpu / len(subject.edits):.1f} | {statistics.median(subject.open):.1f} | {statistics.median(subject.start):.1f} "
            f"| {subject.diagnostics[0]} "
            f"| {statistics.median(subject.rss_open) / 1024:.0f} / {statistics.median(subject.rss_end) / 1024:.0f} |"
        )
    edit_ratio = statistics.median(ours.edits) / statistics.median(theirs.edits)
    open_ratio = statistics.median(ours.open) / statistics.median(theirs.open)
    print(f"\nedit p50 aviato-lsp / ruff: {edit_ratio:.2f}x (target <= 0.5x: {'met' if edit_ratio <= 0.5 else 'not met'})")
    print(f"open p50 aviato-lsp / ruff: {open_ratio:.2f}x (target <= 1x: {'met' if open_ratio <= 1 else 'not met'})")
    cpu_ratio = (ours.cpu / len(ours.edits)) / (theirs.cpu / len(theirs.edits))
    print(f"CPU per edit aviato-lsp / ruff: {cpu_ratio:.2f}x")
    print("open per round (ms): " + "; ".join(
        f"{subject.label.split()[0]} " + ", ".join(f"{value:.0f}" for value in subject.open) for subject in subjects
    ))


if __name__ == "__main__":
    main()
