"""Thumbnails of one image at several sizes, made with Pillow in sandboxes.

JSON has no bytes, so the image travels as base64 text in both directions.
"""

import asyncio
import base64

from aviato import Sandbox, SandboxDefaults

THUMBNAIL_SIDES = [64, 128, 256]


def gradient_ppm(width: int, height: int) -> bytes:
    """A test image in the PPM format, which Pillow reads."""
    pixels = bytearray()
    for y in range(height):
        for x in range(width):
            pixels += bytes((x * 255 // width, y * 255 // height, 160))
    return f"P6 {width} {height} 255\n".encode() + bytes(pixels)


async def main():
    image_b64 = base64.b64encode(gradient_ppm(320, 240)).decode("ascii")

    defaults = SandboxDefaults(container_image="python:3.11")
    async with Sandbox.session(defaults) as session:
        # An image with Pillow installed, for this function only.
        @session.function(container_image="my-registry/python-pillow:3.11")
        def make_thumbnail(image_b64: str, max_side: int) -> dict:
            import base64
            import io

            from PIL import Image

            image = Image.open(io.BytesIO(base64.b64decode(image_b64)))
            image.thumbnail((max_side, max_side))
            png = io.BytesIO()
            image.save(png, format="PNG", optimize=True)
            return {
                "size": list(image.size),
                "png_b64": base64.b64encode(png.getvalue()).decode("ascii"),
            }

        thumbnails = await asyncio.gather(
            *[make_thumbnail(image_b64, side) for side in THUMBNAIL_SIDES]
        )
        for thumbnail in thumbnails:
            png = base64.b64decode(thumbnail["png_b64"])
            width, height = thumbnail["size"]
            print(f"{width}x{height}: {len(png)} bytes of PNG")


asyncio.run(main())
