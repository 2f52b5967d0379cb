"""Daily order metrics from CSV shards, one sandbox per shard (cwsandbox).

Each shard is summarised in its own sandbox with `.map`, then the summaries are
merged in one more sandbox. Everything that crosses to the sandbox is a JSON
type: dates travel as ISO strings, money as decimal strings.
"""

from datetime import date
from decimal import Decimal

from cwsandbox import SandboxDefaults, Session

# Module-level constants of JSON types are sent along with the function.
COUNTED_STATUSES = ["paid", "shipped"]
REGION_NAMES = {"1": "north", "2": "south", "3": "east"}

SHARDS = [
    """order_id,region,status,amount
A-1001,1,paid,19.99
A-1002,2,cancelled,5.00
A-1003,1,shipped,42.50
""",
    """order_id,region,status,amount
B-2001,3,paid,7.25
B-2002,2,paid,12.00
B-2003,3,refunded,7.25
""",
]


def main() -> None:
    day = date(2025, 3, 14)
    # A local of main() that the sandbox function reads: sent as a closure value.
    minimum_amount = "1.00"

    defaults = SandboxDefaults(container_image="python:3.11", tags=("reports",))
    with Session(defaults) as session:

        @session.function()
        def shard_totals(csv_text: str, day_iso: str) -> dict:
            # Imports inside the body run in the sandbox.
            import csv
            import io
            from datetime import date
            from decimal import Decimal

            totals: dict[str, str] = {}
            for row in csv.DictReader(io.StringIO(csv_text)):
                amount = Decimal(row["amount"])
                counted = row["status"] in COUNTED_STATUSES
                if counted and amount >= Decimal(minimum_amount):
                    region = REGION_NAMES[row["region"]]
                    totals[region] = str(Decimal(totals.get(region, "0")) + amount)
            weekday = date.fromisoformat(day_iso).strftime("%A")
            return {"day": day_iso, "weekday": weekday, "totals": totals}

        @session.function()
        def merge(summaries: list[dict]) -> dict:
            from decimal import Decimal

            merged: dict[str, Decimal] = {}
            for summary in summaries:
                for region, amount in summary["totals"].items():
                    merged[region] = merged.get(region, Decimal("0")) + Decimal(amount)
            return {region: str(total) for region, total in sorted(merged.items())}

        # One tuple of positional arguments per shard: one sandbox each, in parallel.
        refs = shard_totals.map([(shard, day.isoformat()) for shard in SHARDS])
        summaries = [ref.result() for ref in refs]
        print(summaries[0]["weekday"], summaries)

        totals = merge.remote(summaries).result()
        print({region: Decimal(amount) for region, amount in totals.items()})


if __name__ == "__main__":
    main()
