"""A small LSP client over a spawned server's stdio, for the benchmarks: every
message is stamped with the time it was read, so latencies are measured from
writing a notification to the moment its answer arrived, not to when the
benchmark got round to looking. The server's stderr goes to the file
$LSP_STDERR when it is set, and nowhere otherwise."""

import json
import os
import queue
import subprocess
import threading
import time


class Timeout(Exception):
    pass


class Server:
    def __init__(self, command, cwd=None, env=None, name=None):
        self.name = name or os.path.basename(command[0])
        self.process = subprocess.Popen(
            command,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=open(os.environ.get("LSP_STDERR", os.devnull), "wb"),
            cwd=cwd,
            env=env,
        )
        self.incoming = queue.Queue()
        self.unread = []
        # The version of every publishDiagnostics, per document, in arrival order.
        self.published = {}
        self.next_id = 1
        self.write_lock = threading.Lock()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    @property
    def pid(self):
        return self.process.pid

    def _read(self):
        stream = self.process.stdout
        while True:
            length = None
            while True:
                line = stream.readline()
                if not line:
                    self.incoming.put((time.perf_counter(), None))
                    return
                line = line.strip()
                if not line:
                    break
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":", 1)[1])
            body = stream.read(length)
            arrived = time.perf_counter()
            message = json.loads(body)
            # Requests from the server (configuration, progress, refreshes) are
            # answered at once, so it never waits on the benchmark.
            if "method" in message and "id" in message:
                self.send({"jsonrpc": "2.0", "id": message["id"], "result": None})
                continue
            if message.get("method") == "textDocument/publishDiagnostics":
                params = message["params"]
                self.published.setdefault(params["uri"], []).append(params.get("version"))
            self.incoming.put((arrived, message))

    def send(self, message):
        body = json.dumps(message).encode()
        with self.write_lock:
            self.process.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
            self.process.stdin.flush()
        return time.perf_counter()

    def notify(self, method, params):
        return self.send({"jsonrpc": "2.0", "method": method, "params": params})

    def send_request(self, method, params):
        request_id = self.next_id
        self.next_id += 1
        self.send({"jsonrpc": "2.0", "id": request_id, "method": method, "params": params})
        return request_id

    def wait_for(self, matches, timeout=60.0, what="a message"):
        """The first message that `matches`, removed, with the time it arrived."""
        for index, (arrived, message) in enumerate(self.unread):
            if matches(message):
                del self.unread[index]
                return arrived, message
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise Timeout(f"{self.name}: timed out waiting for {what}")
            try:
                arrived, message = self.incoming.get(timeout=left)
            except queue.Empty:
                continue
            if message is None:
                raise Timeout(f"{self.name}: the server closed its output; wanted {what}")
            if matches(message):
                return arrived, message
            self.unread.append((arrived, message))

    def response(self, request_id, timeout=60.0):
        _, message = self.wait_for(
            lambda m: "method" not in m and m.get("id") == request_id,
            timeout,
            f"the response to request {request_id}",
        )
        return message

    def request(self, method, params, timeout=60.0):
        message = self.response(self.send_request(method, params), timeout)
        if "error" in message:
            raise RuntimeError(f"{self.name}: {method} failed: {message['error']}")
        return message.get("result")

    def initialize(self, root, capabilities=None, options=None):
        params = {
            "processId": os.getpid(),
            "rootUri": f"file://{root}",
            "workspaceFolders": [{"uri": f"file://{root}", "name": os.path.basename(root)}],
            "capabilities": capabilities
            or {"textDocument": {"publishDiagnostics": {"versionSupport": True}}},
        }
        if options is not None:
            params["initializationOptions"] = options
        result = self.request("initialize", params)
        self.notify("initialized", {})
        return result

    def open(self, uri, text, version=1):
        return self.notify(
            "textDocument/didOpen",
            {"textDocument": {"uri": uri, "languageId": "python", "version": version, "text": text}},
        )

    def change(self, uri, version, changes):
        return self.notify(
            "textDocument/didChange",
            {"textDocument": {"uri": uri, "version": version}, "contentChanges": changes},
        )

    def diagnostics(self, uri, version=None, timeout=60.0):
        """The next diagnostics published for `uri` (at `version`, skipping
        earlier ones, when the server sends versions): (arrival time, params)."""

        def matches(message):
            if message.get("method") != "textDocument/publishDiagnostics":
                return False
            params = message["params"]
            if params["uri"] != uri:
                return False
            published = params.get("version")
            return version is None or published is None or published == version

        arrived, message = self.wait_for(matches, timeout, f"diagnostics of {uri} at {version}")
        # Those of earlier versions will never be asked for.
        self.unread = [
            (at, m)
            for at, m in self.unread
            if not (m.get("method") == "textDocument/publishDiagnostics" and m["params"]["uri"] == uri)
        ]
        return arrived, message["params"]

    def drain(self):
        """Forgets the messages read so far."""
        self.unread.clear()
        while True:
            try:
                self.incoming.get_nowait()
            except queue.Empty:
                return

    def rss_kb(self):
        """The server's resident set size in KiB, from /proc."""
        with open(f"/proc/{self.pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        return 0

    def cpu_ms(self):
        """The CPU time the server has used, all threads, in milliseconds."""
        with open(f"/proc/{self.pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) * 1000 / os.sysconf("SC_CLK_TCK")

    def stop(self):
        try:
            self.request("shutdown", None, timeout=10)
            self.notify("exit", None)
            self.process.stdin.close()
            self.process.wait(timeout=10)
        except (Timeout, RuntimeError, OSError, subprocess.TimeoutExpired):
            self.process.kill()
            self.process.wait()


def percentile(samples, fraction):
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(len(ordered) * fraction))]
