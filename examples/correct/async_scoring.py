"""Score review texts from asyncio code (cwsandbox).

The sandbox function itself stays synchronous; the async code around it awaits
the refs that `.remote` and `.map` return, and gathers them.
"""

import asyncio

from cwsandbox import SandboxDefaults, SandboxExecutionError, Session

POSITIVE = ["great", "fast", "love", "works"]
NEGATIVE = ["broken", "slow", "refund", "late"]

REVIEWS = [
    "Works great, fast delivery",
    "Arrived late and broken, I want a refund",
    "",
]


async def main() -> None:
    async with Session(SandboxDefaults(container_image="python:3.11")) as session:

        @session.function()
        def score(text: str) -> dict:
            if not text.strip():
                raise ValueError("empty review")
            words = [word.strip(".,!?").lower() for word in text.split()]
            positive = sum(word in POSITIVE for word in words)
            negative = sum(word in NEGATIVE for word in words)
            return {"words": len(words), "score": positive - negative}

        # One call, awaited directly.
        print(await score.remote(REVIEWS[0]))

        # Many calls: one tuple of arguments per item; failures come back as
        # SandboxExecutionError objects instead of ending the program.
        results = await asyncio.gather(
            *score.map([(review,) for review in REVIEWS]), return_exceptions=True
        )
        for review, result in zip(REVIEWS, results):
            if isinstance(result, SandboxExecutionError):
                reason = f"{result.exception_type}: {result.exception_message}"
                print(repr(review), "failed:", reason)
            else:
                print(repr(review), result)


if __name__ == "__main__":
    asyncio.run(main())
