"""Download an image and make thumbnails, with the mistakes people make first.

Each comment says what the SDK does with the code below it. Run as is, the
script stops at the first decorator, which fails as soon as its `def` runs.
"""

import asyncio
import base64
import functools

from aviato import Sandbox, SandboxDefaults

IMAGE_URL = "https://images.example/photos/harbour.png"


async def main():
    defaults = SandboxDefaults(container_image="my-registry/python-pillow:3.11")

    async with Sandbox.session(defaults) as session:
        # AV101: the decorator refuses coroutine functions. AsyncFunctionError
        # is raised right here, when the `def` runs, before any call.
        @session.function()
        async def download(url: str) -> str:
            import asyncio
            import base64
            import urllib.request

            def fetch() -> bytes:
                with urllib.request.urlopen(url, timeout=30) as response:
                    return response.read()

            return base64.b64encode(await asyncio.to_thread(fetch)).decode("ascii")

        # AV102: without parentheses, Python passes the function to
        # `session.function` itself: TypeError: Session.function() takes 1
        # positional argument but 2 were given.
        @session.function
        def image_size(image_b64: str) -> list[int]:
            import base64
            import io

            from PIL import Image

            return list(Image.open(io.BytesIO(base64.b64decode(image_b64))).size)

        # AV501: `temp_dir` is used as given to build the payload and result
        # paths; a relative one depends on the image's working directory.
        @session.function(temp_dir="scratch/thumbnails")
        def make_thumbnail(image_b64: str, max_side: int) -> bytes:
            import io

            from PIL import Image

            # AV201: `base64` is imported at the top of the file only:
            # NameError: name 'base64' is not defined, in the sandbox.
            image = Image.open(io.BytesIO(base64.b64decode(image_b64)))
            image.thumbnail((max_side, max_side))
            png = io.BytesIO()
            image.save(png, format="PNG")
            # AV303: JSON mode writes the result with json.dump, which has no
            # bytes: TypeError: Object of type bytes is not JSON serializable.
            return png.getvalue()

        # AV203: every decorator but @session.function() is kept and evaluated
        # in the sandbox, where `functools` is not defined: NameError. The SDK
        # documentation says other decorators work in either position.
        @session.function()
        @functools.lru_cache(maxsize=32)
        def dominant_color(image_b64: str) -> list[int]:
            import base64
            import io

            from PIL import Image

            image = Image.open(io.BytesIO(base64.b64decode(image_b64))).convert("RGB")
            count, color = max(image.getcolors(image.width * image.height))
            return list(color)

        image_b64 = await download(IMAGE_URL)
        print(await image_size(image_b64))
        thumbnail = await make_thumbnail(image_b64, 128)
        print(len(thumbnail), await dominant_color(image_b64))


asyncio.run(main())
