"""Soak: many random edits to the generated 10,000-line aviato file over stdio LSP,
with the editor's requests in between and runs in flight, then checks that the
server is alive, never published diagnostics of an older version after a newer
one, and says about the final text what a fresh server says about it; and how
its memory grew.

The edits are seeded and random: valid lines, broken text (open brackets,
unterminated strings, half a `def`), multi-byte characters (é, 中, 😀, whose
UTF-16 columns differ from their code points), deletions across lines, typing
bursts of one character each, several changes in one `didChange`, and undo
(exactly the inverse of an earlier edit, so the file stays near valid Python
while broken pieces come and go). Between edits: hover, code lenses, inlay hints
and code actions, some cancelled when the next edit comes (as an editor does
when the cursor moves on), the others awaited every `--collect-every` edits;
every `--run-every` edits an `aviato.run` of a sandbox function (a real run on
the local backend), left in flight while the edits go on.

At the end, once every request is answered:
1. the diagnostics of the last incremental version must equal those of a fresh
   server opening the client's copy of the text (run results aside): the server
   applied every edit as the client did;
2. a full-text sync (`didChange` without a range) must give the same again.

RSS is read from /proc once the server is idle (a second after its last
diagnostics) after the open and at the end (target: end <= 1.5x after open),
beside that of a fresh server that opened the final text; and, in passing,
every 1,000 edits.

    cargo build --release -p aviato-lsp && python3 bench/soak.py
    python3 bench/soak.py --edits 10000 --seed 1 --bin target/release/aviato-lsp
"""

import argparse
import os
import random
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import generated  # noqa: E402
from lspclient import Server  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RUN = "workspace/executeCommand"
# Seconds of quiet before RSS is read.
SETTLE = 1.0

BROKEN = ["(", "[1, 2", '"unterminated', "def (:", ")]}", " 42 43", "lambda", "@session.function(", ":", "\\"]
MULTIBYTE = ["é", "中文", "😀", "'é😀中'", "  # commentaire: 😀 à côté\n", "ß = '€'\n", "\u200d", "𝔘"]
VALID_LINES = ["x = 1", "print('héllo')", "values = [1, 2, 3]", "total += 1", "pass", "import os"]


def utf16_length(text):
    return len(text.encode("utf-16-le")) // 2


class Mirror:
    """The client's copy of the text, and UTF-16 positions in it."""

    def __init__(self, text):
        self.text = text

    def position(self, index):
        line = self.text.count("\n", 0, index)
        start = self.text.rfind("\n", 0, index) + 1
        return {"line": line, "character": utf16_length(self.text[start:index])}

    def range(self, start, end):
        return {"start": self.position(start), "end": self.position(end)}

    def replace(self, start, end, new):
        """Replaces [start, end) (code point indices) with `new`; returns the
        protocol change and what undoes it."""
        change = {"range": self.range(start, end), "text": new}
        removed = self.text[start:end]
        self.text = self.text[:start] + new + self.text[end:]
        return change, (start, start + len(new), removed)

    def line_bounds(self, index):
        start = self.text.rfind("\n", 0, index) + 1
        end = self.text.find("\n", index)
        return start, len(self.text) if end < 0 else end


class Soak:
    def __init__(self, server, uri, text, rng):
        self.server = server
        self.uri = uri
        self.mirror = Mirror(text)
        self.original_length = len(text)
        self.rng = rng
        self.version = 1
        self.undo = []
        self.pending = {}
        self.cancelled = set()
        self.answered = {}
        self.errors = []

    def send(self, changes):
        self.version += 1
        self.server.change(self.uri, self.version, changes)

    def random_index(self):
        return self.rng.randrange(len(self.mirror.text) + 1)

    def edit(self):
        rng = self.rng
        # Undo keeps the file near valid Python: more of it the deeper the stack.
        if self.undo and rng.random() < 0.35 + min(len(self.undo), 60) / 200:
            start, end, removed = self.undo.pop()
            change, _ = self.mirror.replace(start, end, removed)
            self.send([change])
            return "undo"
        kind = rng.choice(["valid", "valid", "broken", "multibyte", "delete", "delete", "burst", "several"])
        if len(self.mirror.text) > 1.05 * self.original_length:
            kind = "delete"
        if kind == "burst":
            # Typing: one character per didChange, each undone as one.
            at = self.random_index()
            for character in rng.choice(["abc", "é😀", "x_1", "中文字"]):
                change, inverse = self.mirror.replace(at, at, character)
                self.undo.append(inverse)
                self.send([change])
                at += 1
            return kind
        if kind == "several":
            # Two or three changes in one didChange, each in the text the ones
            # before it left; undone one by one, last first.
            changes = []
            for _ in range(rng.randint(2, 3)):
                at = self.random_index()
                change, inverse = self.mirror.replace(at, at, rng.choice(BROKEN + MULTIBYTE))
                changes.append(change)
                self.undo.append(inverse)
            self.send(changes)
            return kind
        at = self.random_index()
        if kind == "valid":
            line_start, line_end = self.mirror.line_bounds(at)
            line = self.mirror.text[line_start:line_end]
            indent = line[: len(line) - len(line.lstrip())]
            new, start, end = f"{indent}{rng.choice(VALID_LINES)}\n", line_start, line_start
        elif kind == "broken":
            new, start, end = rng.choice(BROKEN), at, at
        elif kind == "multibyte":
            new, start, end = rng.choice(MULTIBYTE), at, at
        else:
            new, start, end = "", at, min(len(self.mirror.text), at + rng.randint(1, 40))
        change, inverse = self.mirror.replace(start, end, new)
        self.undo.append(inverse)
        self.send([change])
        return kind

    def request(self, method, params):
        request_id = self.server.send_request(method, params)
        self.pending[request_id] = method

    def requests(self, run_every, edit_number):
        rng = self.rng
        document = {"uri": self.uri}
        # As an editor does when the cursor moves on: what it still waits for
        # (but runs) is cancelled.
        if rng.random() < 0.05:
            for request_id, method in self.pending.items():
                if method != RUN and request_id not in self.cancelled:
                    self.server.notify("$/cancelRequest", {"id": request_id})
                    self.cancelled.add(request_id)
        here = self.mirror.position(self.random_index())
        if rng.random() < 0.10:
            self.request("textDocument/hover", {"textDocument": document, "position": here})
        if rng.random() < 0.05:
            self.request("textDocument/codeLens", {"textDocument": document})
        if rng.random() < 0.05:
            end = {"line": here["line"] + 60, "character": 0}
            self.request("textDocument/inlayHint", {"textDocument": document, "range": {"start": here, "end": end}})
        if rng.random() < 0.05:
            self.request(
                "textDocument/codeAction",
                {"textDocument": document, "range": {"start": here, "end": here}, "context": {"diagnostics": []}},
            )
        if run_every and edit_number % run_every == 0:
            name = f"f{rng.randrange(generated.FUNCTIONS)}"
            at = self.mirror.text.find(f"def {name}(")
            if at >= 0:
                line = self.mirror.position(at)["line"] + 1
                self.request(
                    RUN,
                    {"command": "aviato.run", "arguments": [{"uri": self.uri, "function": name, "line": line}]},
                )

    def collect(self, runs_too=False, timeout=120.0):
        """Waits for the responses to the editor's requests (and to the runs, when
        `runs_too`; otherwise takes those that arrived): the editor never has more
        than a few requests in flight."""
        while self.pending:
            message = None
            for index, (_, unread) in enumerate(self.server.unread):
                if "method" not in unread and unread.get("id") in self.pending:
                    message = self.server.unread.pop(index)[1]
                    break
            if message is None:
                waiting_for_runs_only = all(method == RUN for method in self.pending.values())
                if waiting_for_runs_only and not runs_too and self.server.incoming.empty():
                    return
                _, message = self.server.wait_for(
                    lambda m: "method" not in m and m.get("id") in self.pending,
                    timeout,
                    "responses",
                )
            method = self.pending.pop(message["id"])
            if "error" in message:
                # -32800: cancelled, as asked.
                if message["id"] in self.cancelled and message["error"].get("code") == -32800:
                    self.answered["cancelled"] = self.answered.get("cancelled", 0) + 1
                    continue
                self.errors.append((method, message["error"]))
            self.answered[method] = self.answered.get(method, 0) + 1


def analysis_diagnostics(params):
    """The diagnostics the analysis reported, in a comparable form."""
    return sorted(
        (
            (d["range"]["start"]["line"], d["range"]["start"]["character"]),
            (d["range"]["end"]["line"], d["range"]["end"]["character"]),
            d.get("code"),
            d["message"],
            d.get("severity"),
        )
        for d in params["diagnostics"]
        if d.get("source") != "aviato-run"
    )


def settled_rss_kb(server):
    """The server's RSS once it is idle: what it keeps, not what it is freeing."""
    time.sleep(SETTLE)
    return server.rss_kb()


def fresh_diagnostics(binary, directory, uri, text):
    server = Server([binary, "server"], cwd=directory, name="fresh aviato-lsp")
    try:
        server.initialize(directory)
        server.open(uri, text)
        _, params = server.diagnostics(uri, 1)
        return analysis_diagnostics(params), settled_rss_kb(server)
    finally:
        server.stop()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bin", default=os.path.join(ROOT, "target/release/aviato-lsp"))
    parser.add_argument("--edits", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--run-every", type=int, default=250, help="edits between runs; 0 for none")
    parser.add_argument("--collect-every", type=int, default=20, help="edits between taking responses")
    arguments = parser.parse_args()
    # The servers run in a temporary directory.
    arguments.bin = os.path.abspath(arguments.bin)

    rng = random.Random(arguments.seed)
    text = generated.source()
    failures = []
    with tempfile.TemporaryDirectory(prefix="aviato-soak-") as directory:
        path = os.path.join(directory, "generated.py")
        with open(path, "w") as file:
            file.write(text)
        uri = f"file://{path}"
        server = Server([arguments.bin, "server"], cwd=directory, name="aviato-lsp")
        server.initialize(directory)
        began = time.perf_counter()
        server.open(uri, text)
        server.diagnostics(uri, 1)
        rss_open = settled_rss_kb(server)
        samples = [(0, rss_open)]
        soak = Soak(server, uri, text, rng)
        kinds = {}
        edit_number = 0
        while edit_number < arguments.edits:
            kind = soak.edit()
            kinds[kind] = kinds.get(kind, 0) + 1
            edit_number += 1
            soak.requests(arguments.run_every, edit_number)
            if edit_number % arguments.collect_every == 0:
                soak.collect()
                # Diagnostics of older versions are never asked for one by one.
                server.unread = [
                    (at, m)
                    for at, m in server.unread
                    if m.get("method") != "textDocument/publishDiagnostics"
                    or m["params"].get("version", soak.version) >= soak.version
                ]
            if edit_number % 1000 == 0:
                samples.append((edit_number, server.rss_kb()))
        soak.collect(runs_too=True)
        edits_done = time.perf_counter() - began

        _, last = server.diagnostics(uri, soak.version, timeout=120)
        incremental = analysis_diagnostics(last)
        fresh, rss_fresh = fresh_diagnostics(arguments.bin, directory, uri, soak.mirror.text)
        if incremental != fresh:
            failures.append(
                f"after version {soak.version}: {len(incremental)} diagnostics, a fresh open {len(fresh)}; "
                f"first difference: {next((a, b) for a, b in zip(incremental + [None] * len(fresh), fresh + [None] * len(incremental)) if a != b)}"
            )
        soak.version += 1
        server.change(uri, soak.version, [{"text": soak.mirror.text}])
        _, synced = server.diagnostics(uri, soak.version, timeout=120)
        if analysis_diagnostics(synced) != fresh or any(d.get("source") == "aviato-run" for d in synced["diagnostics"]):
            failures.append("after the full-text sync the diagnostics differ from a fresh open")
        rss_end = settled_rss_kb(server)
        samples.append((edit_number, rss_end))

        published = [version for version in server.published.get(uri, []) if version is not None]
        backwards = [(a, b) for a, b in zip(published, published[1:]) if b < a]
        if backwards:
            failures.append(f"diagnostics of an older version after a newer one: {backwards[:5]}")
        if soak.errors:
            failures.append(f"{len(soak.errors)} requests failed, e.g. {soak.errors[:3]}")
        alive = server.process.poll() is None
        server.stop()
        if not alive:
            failures.append("the server died")

    ratio = rss_end / rss_open
    print(f"{edit_number} edits (seed {arguments.seed}) in {edits_done:.1f} s: "
          + ", ".join(f"{kind} {count}" for kind, count in sorted(kinds.items())))
    print(f"{soak.version} versions, {len(published)} publications; requests answered: "
          + ", ".join(f"{method} {count}" for method, count in sorted(soak.answered.items())))
    print(f"final text: {len(soak.mirror.text.splitlines())} lines, {len(fresh)} diagnostics, "
          f"equal to a fresh open's: {'yes' if incremental == fresh else 'NO'}")
    print("RSS (MB) by edits: " + ", ".join(f"{n}: {kb / 1024:.1f}" for n, kb in samples))
    print(f"RSS after open {rss_open / 1024:.1f} MB, at the end {rss_end / 1024:.1f} MB: "
          f"{ratio:.2f}x (target <= 1.5x: {'met' if ratio <= 1.5 else 'not met'}); "
          f"a fresh server that opened the final text: {rss_fresh / 1024:.1f} MB")
    if failures:
        sys.exit("FAILED:\n" + "\n".join(failures))


if __name__ == "__main__":
    main()
