"""Plan a hyperparameter sweep: every combination, when it runs, what it costs.

PICKLE mode keeps `datetime`, `timedelta` and `Decimal` values intact in both
directions. Only stdlib types cross: a class defined in this file could not be
unpickled in the sandbox.
"""

import asyncio
from datetime import datetime, timedelta
from decimal import Decimal

from aviato import Sandbox, SandboxDefaults, Serialization

GRID = {
    "learning_rate": [3e-4, 1e-3],
    "batch_size": [32, 64],
    "layers": [4, 8],
}


async def main():
    defaults = SandboxDefaults(container_image="python:3.11")

    async with Sandbox.session(defaults) as session:
        # Our own code in the stock image: the pickle-trust warning is accepted.
        @session.function(serialization=Serialization.PICKLE)  # noqa: AV305
        def plan_sweep(
            start: "datetime", run_time: "timedelta", gpu_hour_price: "Decimal"
        ) -> list[dict]:
            # The sandbox evaluates the `def`, where the imported names above
            # are not sent: their annotations are quoted, while builtin
            # generics need no quotes. The body imports what it uses.
            import itertools
            from decimal import Decimal

            hours = Decimal(run_time.total_seconds()) / 3600
            cost = (hours * gpu_hour_price).quantize(Decimal("0.01"))
            keys = sorted(GRID)
            combinations = itertools.product(*(GRID[key] for key in keys))
            return [
                {
                    "params": dict(zip(keys, values)),
                    "begins": start + run_time * i,
                    "cost": cost,
                }
                for i, values in enumerate(combinations)
            ]

        plan = await plan_sweep(
            datetime(2025, 3, 3, 8), timedelta(minutes=90), Decimal("2.21")
        )
        total = sum(run["cost"] for run in plan)
        for run in plan:
            begins = run["begins"].isoformat(timespec="minutes")
            print(begins, run["params"], run["cost"])
        print(f"{len(plan)} runs, {total} in total")


asyncio.run(main())
