"""Train a small model from a config, with the mistakes people make first.

Each comment says what the SDK does with the code below it. Run as is, the
script stops at the first failing call.
"""

import asyncio
import threading
from dataclasses import dataclass
from typing import Optional

from aviato import Sandbox, SandboxDefaults, Serialization

DEFAULT_EPOCHS = 20
metrics_lock = threading.Lock()


@dataclass
class TrainingConfig:
    layers: list[int]
    learning_rate: float
    epochs: int = DEFAULT_EPOCHS


async def main():
    defaults = SandboxDefaults(container_image="python:3.11")
    async with Sandbox.session(defaults) as session:
        # AV103: "pickle" is a string, not `Serialization.PICKLE`. Decoration
        # accepts it; the await raises AttributeError: 'str' object has no
        # attribute 'value'.
        @session.function(serialization="pickle")
        def count_parameters(layers: list[int]) -> int:
            return sum(n_in * n_out + n_out for n_in, n_out in zip(layers, layers[1:]))

        # The SDK documentation's own PICKLE example, and it fails:
        # AV304: TrainingConfig is defined in this script. Pickle stores the
        # argument as `__main__.TrainingConfig`, which the sandbox does not have:
        # AttributeError: Can't get attribute 'TrainingConfig' on <module '__main__'>.
        # AV204: the annotation names a class the SDK never sends: NameError.
        # AV305: the client unpickles whatever the sandbox returns.
        @session.function(serialization=Serialization.PICKLE)
        def describe(config: TrainingConfig) -> dict:
            return {"layers": config.layers, "lr": config.learning_rate}

        # AV204: `Optional` is evaluated in the sandbox, where the typing import
        # never ran: NameError: name 'Optional' is not defined.
        # AV205: DEFAULT_EPOCHS appears only in a default value, so it is not
        # sent: NameError: name 'DEFAULT_EPOCHS' is not defined.
        @session.function()
        def lr_schedule(
            base_lr: float, warmup: Optional[int] = None, epochs: int = DEFAULT_EPOCHS
        ) -> list[float]:
            import math

            warmup = warmup or epochs // 10
            return [
                base_lr * (epoch + 1) / warmup
                if epoch < warmup
                else base_lr
                * 0.5
                * (1 + math.cos(math.pi * (epoch - warmup) / (epochs - warmup)))
                for epoch in range(epochs)
            ]

        @session.function()
        def train(config: dict) -> dict:
            import random
            import sys

            if config["learning_rate"] <= 0:
                # AV404: SystemExit is not an Exception: the sandbox process
                # ends with no result, and the SDK's error has no exception
                # type or message.
                sys.exit("learning rate must be positive")
            loss = 2.5
            history = []
            for _ in range(config["epochs"]):
                loss *= 1 - config["learning_rate"] * random.uniform(5, 15)
                history.append(round(loss, 4))
            # AV301: a lock cannot be serialized: the await raises
            # FunctionSerializationError before any sandbox is used.
            with metrics_lock:
                return {"final_loss": history[-1], "history": history}

        config = TrainingConfig(layers=[784, 128, 10], learning_rate=0.01)
        print(await count_parameters(config.layers))
        print(await describe(config))
        print(await lr_schedule(config.learning_rate))
        print(
            await train({"layers": config.layers, "learning_rate": 0.01, "epochs": 5})
        )


asyncio.run(main())
