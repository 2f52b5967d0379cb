"""A sales report from CSV text, written the way that looks natural and fails.

Each comment says what the SDK does with the code below it. Run as is, the
script stops at the first failing call.
"""

import asyncio
import csv
import io
import statistics
from collections import Counter

from aviato import Sandbox, SandboxDefaults

SALES = """region,product,units,unit_price
north,widget,120,9.50
south,widget,88,11.00
north,gadget,40,24.00
east,widget,75,10.25
"""

rows_processed = 0


def parse_rows(csv_text: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(csv_text)))


async def main():
    defaults = SandboxDefaults(container_image="python:3.11")
    async with Sandbox.session(defaults) as session:

        @session.function()
        def revenue_by_region(csv_text: str) -> dict[str, float]:
            # AV301: `parse_rows` is a module-level function, and JSON cannot
            # carry functions: the await raises FunctionSerializationError
            # before any sandbox is used.
            totals: dict[str, float] = {}
            for row in parse_rows(csv_text):
                revenue = int(row["units"]) * float(row["unit_price"])
                totals[row["region"]] = totals.get(row["region"], 0.0) + revenue
            return totals

        @session.function()
        def price_stats(csv_text: str) -> tuple[float, float]:
            # AV201: `csv`, `io` and `statistics` are imported at the top of the
            # file, and no import outside the function runs in the sandbox:
            # NameError: name 'csv' is not defined.
            prices = [
                float(row["unit_price"])
                for row in csv.DictReader(io.StringIO(csv_text))
            ]
            # AV302: the tuple is written as a JSON array; the caller gets a list.
            return statistics.mean(prices), statistics.median(prices)

        @session.function()
        def best_sellers(csv_text: str, n: int) -> list[list]:
            import csv
            import io

            # AV403: this changes the sandbox's copy of `rows_processed`; the
            # caller's stays 0.
            global rows_processed
            rows = list(csv.DictReader(io.StringIO(csv_text)))
            rows_processed += len(rows)
            # AV202: the SDK never sends classes, Counter included:
            # NameError: name 'Counter' is not defined.
            units = Counter()
            for row in rows:
                units[row["product"]] += int(row["units"])
            return [[product, count] for product, count in units.most_common(n)]

        @session.function()
        def row_count(csv_text: str) -> int:
            return csv_text.count("\n") - 1

        print(await revenue_by_region(SALES))
        print(await price_stats(SALES))
        print(await best_sellers(SALES, 2), rows_processed)
        # AV401: without `await` this is only a coroutine object: no sandbox is
        # created, the function never runs, and Python warns that the coroutine
        # was never awaited.
        count = row_count(SALES)
        print(count)


asyncio.run(main())
