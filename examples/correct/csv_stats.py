"""Summary statistics of the numeric columns of CSV exports.

Each export is analysed in its own sandbox, and the calls run concurrently.
"""

import asyncio

from aviato import Sandbox, SandboxDefaults

# Module-level constants of JSON types are sent along with the function.
MISSING_MARKERS = ["", "NA", "n/a", "-"]
DECIMALS = 2

Q1_EXPORT = """region,units,unit_price
north,120,9.50
south,NA,11.00
east,75,10.25
west,98,9.75
"""

Q2_EXPORT = """region,units,unit_price
north,131,9.50
south,88,10.80
east,-,10.25
west,102,9.90
"""


async def main():
    defaults = SandboxDefaults(container_image="python:3.11")
    # A local of main() that the sandbox function reads: sent as a closure value.
    numeric_columns = ["units", "unit_price"]

    async with Sandbox.session(defaults) as session:

        @session.function()
        def column_stats(csv_text: str) -> dict[str, dict[str, float]]:
            # Imports inside the body run in the sandbox.
            import csv
            import io
            import statistics

            rows = list(csv.DictReader(io.StringIO(csv_text)))
            stats = {}
            for column in numeric_columns:
                values = [
                    float(row[column])
                    for row in rows
                    if row[column] not in MISSING_MARKERS
                ]
                stats[column] = {
                    "count": len(values),
                    "mean": round(statistics.fmean(values), DECIMALS),
                    "stdev": round(statistics.stdev(values), DECIMALS),
                    "min": min(values),
                    "max": max(values),
                }
            return stats

        exports = {"2025-q1.csv": Q1_EXPORT, "2025-q2.csv": Q2_EXPORT}
        reports = await asyncio.gather(
            *(column_stats(text) for text in exports.values())
        )
        for name, report in zip(exports, reports):
            print(name, report)


asyncio.run(main())
