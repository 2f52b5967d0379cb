"""Daily order metrics from CSV shards (cwsandbox), written the way that looks
natural and fails.

Each comment says what cwsandbox 1.22.0 does with the code below it. Run as is,
the script stops at the first failing call.
"""

import csv
import io
from datetime import date

from cwsandbox import SandboxDefaults, Session

REGION_NAMES = {1: "north", 2: "south", 3: "east"}

MONDAY = """order_id,region,status,amount
A-1001,1,paid,19.99
A-1002,2,cancelled,5.00
A-1003,1,shipped,42.50
"""
TUESDAY = """order_id,region,status,amount
B-2001,3,paid,7.25
B-2002,2,paid,12.00
B-2003,3,refunded,7.25
"""


def main() -> None:
    defaults = SandboxDefaults(container_image="python:3.11", tags=("reports",))
    with Session(defaults) as session:

        @session.function()
        def shard_totals(csv_text: str) -> dict[str, float]:
            # AV201: `csv` and `io` are imported at the top of the file, and no
            # import outside the function runs in the sandbox: `.result()` raises
            # SandboxExecutionError, NameError: name 'csv' is not defined.
            totals: dict[str, float] = {}
            for row in csv.DictReader(io.StringIO(csv_text)):
                region = row["region"]
                totals[region] = totals.get(region, 0.0) + float(row["amount"])
            return totals

        @session.function()
        def region_label(region: int) -> str:
            # AV306: REGION_NAMES has int keys. cwsandbox checks the payload
            # before sending it: `.result()` raises TypeError: Function payload
            # contains a dict with non-string keys: closure_vars['REGION_NAMES']
            # (key 1 has type int), before any sandbox exists.
            return REGION_NAMES[region]

        @session.function()
        def count_orders(csv_text: str, statuses: list[str]) -> int:
            return sum(
                1
                for line in csv_text.splitlines()[1:]
                if line.split(",")[2] in statuses
            )

        @session.function()
        def days_since(day: str) -> int:
            from datetime import date

            return (date(2025, 3, 31) - date.fromisoformat(day)).days

        print(shard_totals.remote(MONDAY).result())
        print(region_label.remote(1).result())

        # AV301: a set is not a JSON type. `.result()` raises TypeError: Function
        # arguments are not JSON-serializable: Object of type set is not JSON
        # serializable (the earlier SDK quietly sent a list).
        print(count_orders.remote(MONDAY, {"paid", "shipped"}).result())

        # AV301: neither is a date: Object of type date is not JSON serializable.
        print(days_since.remote(date(2025, 3, 14)).result())

        # AV406: `.map` splats each item into positional arguments, so each CSV
        # string becomes one argument per character: `.result()` raises
        # SandboxExecutionError, TypeError: shard_totals() takes 1 positional
        # argument but 97 were given.
        refs = shard_totals.map([MONDAY, TUESDAY])
        print([ref.result() for ref in refs])

        # AV405: `.remote` returns an OperationRef, not the count. The call runs
        # in the background and its value is lost; `paid + 1` raises TypeError:
        # unsupported operand type(s) for +: 'OperationRef' and 'int'.
        paid = count_orders.remote(TUESDAY, ["paid"])
        print(paid + 1)


if __name__ == "__main__":
    main()
