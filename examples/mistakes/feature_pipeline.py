"""Image-model features prepared in sandboxes (cwsandbox), with the mistakes that
slip through review.

Each comment says what cwsandbox 1.22.0 does with the code below it. Run as is,
the script stops at the first failing call.
"""

from collections import Counter
from typing import Optional

from cwsandbox import SandboxDefaults, Session

IMAGE_SIZE = (224, 224)
batches_prepared = 0


def normalize_label(label: str) -> str:
    return label.strip().lower().replace(" ", "_")


def main() -> None:
    defaults = SandboxDefaults(container_image="python:3.11", tags=("features",))
    with Session(defaults) as session:

        @session.function()
        def input_shape(channels: int) -> list[int]:
            # AV302 (an error here): JSON sends the tuple as a list, and
            # list + tuple fails in the sandbox: TypeError / can only
            # concatenate list (not "tuple") to list.
            return list(IMAGE_SIZE + (channels,))

        @session.function()
        def top_labels(counts: dict, n: int) -> list:
            # AV302 (an error here): the Counter argument arrives as a plain
            # dict: AttributeError / 'dict' object has no attribute 'most_common'.
            return counts.most_common(n)

        @session.function()
        def clean_labels(labels: list[str]) -> list[str]:
            # AV301: `normalize_label` is a module-level function, which JSON
            # cannot carry: `.result()` raises TypeError: Function arguments are
            # not JSON-serializable: Object of type function is not JSON
            # serializable.
            return sorted({normalize_label(label) for label in labels})

        @session.function()
        def crop_box(width: int, height: int) -> Optional[list[int]]:
            # AV204: the annotation is evaluated when the sandbox defines the
            # function, and `Optional` is not sent: NameError / name 'Optional'
            # is not defined.
            side = min(width, height)
            if side < 32:
                return None
            return [(width - side) // 2, (height - side) // 2, side, side]

        @session.function()
        def bucket_path(split: str) -> str:
            import os

            # AV408: the client's environment is not sent; FEATURE_BUCKET is not
            # set in the sandbox: KeyError / 'FEATURE_BUCKET'.
            return f"{os.environ['FEATURE_BUCKET']}/{split}/"

        @session.function()
        def prepare_batch(paths: list[str]) -> int:
            import sys

            # AV403 (warning): only the sandbox's copy of batches_prepared
            # changes; the caller's stays 0.
            global batches_prepared
            batches_prepared += 1
            if not paths:
                # AV404 (warning): sys.exit ends the sandbox's process before a
                # result is written: SandboxExecutionError with exception_type
                # and exception_message None.
                sys.exit("empty batch")
            return len(paths)

        print(input_shape.remote(3).result())
        print(top_labels.remote(Counter(["cat", "dog", "cat", "bird"]), 2).result())
        print(clean_labels.remote(["Tabby Cat", "tabby cat ", "Dog"]).result())
        print(crop_box.remote(640, 480).result())
        print(bucket_path.remote("train").result())
        print(prepare_batch.remote([]).result(), batches_prepared)


if __name__ == "__main__":
    main()
