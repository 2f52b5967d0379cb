"""A digest of web server logs, built in a sandbox (cwsandbox).

Shows the conversions strict JSON asks for on the client: raw bytes as base64
text, a set as a sorted list, integer keys as strings; and a setting handed to
the sandbox with `environment_variables=`, since the client's environment is
not sent.
"""

import base64
import os

from cwsandbox import SandboxDefaults, Session

LOG = b"""10.0.0.7 GET /api/orders 200 31ms
10.0.0.9 GET /api/orders 500 1204ms
10.0.0.7 POST /api/cart 201 48ms
10.0.0.4 GET /health 200 2ms
10.0.0.9 GET /api/orders 503 2210ms
"""

IGNORED_PATHS = {"/health", "/metrics"}
STATUS_TEXT = {200: "ok", 201: "created", 500: "server error", 503: "unavailable"}


def main() -> None:
    title = os.environ.get("DIGEST_TITLE", "Daily digest")
    defaults = SandboxDefaults(container_image="python:3.11")
    with Session(defaults) as session:

        @session.function(environment_variables={"DIGEST_TITLE": title})
        def digest(
            log_b64: str, ignored: list[str], status_text: dict[str, str]
        ) -> dict:
            import base64
            import os
            from dataclasses import dataclass

            # A class defined inside the body exists in the sandbox.
            @dataclass
            class Request:
                client: str
                path: str
                status: int
                millis: int

            def parse(line: str) -> Request:
                client, _method, path, status, took = line.split()
                return Request(client, path, int(status), int(took.removesuffix("ms")))

            text = base64.b64decode(log_b64).decode("utf-8")
            requests = [parse(line) for line in text.splitlines() if line.strip()]
            requests = [r for r in requests if r.path not in ignored]
            by_status: dict[str, int] = {}
            for request in requests:
                label = status_text.get(str(request.status), str(request.status))
                by_status[label] = by_status.get(label, 0) + 1
            slowest = max(requests, key=lambda r: r.millis)
            return {
                "title": os.environ["DIGEST_TITLE"],
                "requests": len(requests),
                "by_status": by_status,
                "slowest": {"path": slowest.path, "millis": slowest.millis},
            }

        report = digest.remote(
            base64.b64encode(LOG).decode("ascii"),
            sorted(IGNORED_PATHS),
            {str(code): text for code, text in STATUS_TEXT.items()},
        ).result()
        print(report)


if __name__ == "__main__":
    main()
