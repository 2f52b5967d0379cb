"""A model-evaluation script half ported from the earlier aviato SDK to cwsandbox.

The imports and the session were updated; the calls, the options and some
values still follow the old SDK. Each comment says what cwsandbox 1.22.0 does
with the code below it. Run as is, the script stops at the first failure.
"""

import asyncio
import functools
from dataclasses import dataclass

from cwsandbox import SandboxDefaults, Session


@dataclass
class EvalConfig:
    threshold: float
    labels: list[str]


def logged(func):
    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        print("calling", func.__name__)
        return func(*args, **kwargs)

    return wrapper


def main() -> None:
    with Session(SandboxDefaults(container_image="python:3.11")) as session:

        # AV103: `max_timeout_seconds` was an option of the earlier SDK. The
        # decorator raises when the def runs: TypeError: session.function() got
        # unexpected keyword argument(s): max_timeout_seconds.
        # profile_ids/profile_names/s3_mount/ports/max_timeout_seconds were
        # removed in 1.x
        @session.function(max_timeout_seconds=600)
        def accuracy(predictions: list[int], labels: list[int]) -> float:
            hits = sum(p == y for p, y in zip(predictions, labels))
            return hits / len(labels)

        @session.function()
        def f1(precision: float, recall: float) -> float:
            return 2 * precision * recall / (precision + recall)

        # AV108: `@logged` receives the RemoteFunction, which is not callable,
        # and its wrapper hides `.remote`: AttributeError: 'function' object
        # has no attribute 'remote'.
        # AV203: it also stays in the source sent to the sandbox, where
        # `logged` is not defined.
        @logged
        @session.function()
        def confusion(predictions: list[int], labels: list[int]) -> list[list[int]]:
            matrix = [[0, 0], [0, 0]]
            for p, y in zip(predictions, labels):
                matrix[y][p] += 1
            return matrix

        @session.function()
        def classify(scores: list[float], config: dict) -> list[str]:
            negative, positive = config["labels"]
            return [positive if s >= config["threshold"] else negative for s in scores]

        @session.function()
        def distinct_labels(labels: list[str]) -> set[str]:
            # AV303: the result is written with json.dump, which has no sets:
            # SandboxExecutionError, TypeError / return value is not
            # JSON-serializable: Object of type set is not JSON serializable.
            return set(labels)

        # AV107: the decorated name is a RemoteFunction, not a function:
        # TypeError: 'RemoteFunction' object is not callable.
        print(f1(0.8, 0.6))

        print(confusion.remote([1, 0, 1], [1, 1, 0]).result())

        # AV301: a dataclass instance is not a JSON type (the earlier SDK sent
        # a dict): TypeError: Function arguments are not JSON-serializable:
        # Object of type EvalConfig is not JSON serializable.
        config = EvalConfig(threshold=0.5, labels=["neg", "pos"])
        print(classify.remote([0.2, 0.7], config).result())

        print(distinct_labels.remote(["pos", "neg", "pos"]).result())

        async def evaluate() -> None:
            # AV107: the old `await f(...)` fails the same way, at the call,
            # before anything is awaited.
            print(await f1(0.9, 0.5))

        asyncio.run(evaluate())


if __name__ == "__main__":
    main()
