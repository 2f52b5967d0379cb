"""A small crawler, with the mistakes people make first.

The session lives at module level, so functions can be decorated anywhere.
Each comment says what the SDK does with the code below it. Run as is, the
script stops at the first failing call; where one function has several
mistakes, the first one met ends the call.
"""

import asyncio
import re
from urllib.parse import urljoin

from aviato import Sandbox, SandboxDefaults

session = Sandbox.session(SandboxDefaults(container_image="python:3.11"))
remote = session.function

PAGE = """<html><head><title>Example Blog</title></head><body>
<h1>Posts</h1>
<a href="/posts/first">First post</a> <a href="/posts/second">Second post</a>
<a href="https://other.example/">Elsewhere</a>
</body></html>"""


# AV106: the SDK strips only decorators written `<name>.function(...)`.
# `@remote()` stays in the source and fails in the sandbox:
# NameError: name 'remote' is not defined.
@remote()
def page_title(html: str) -> str:
    import re

    match = re.search(r"<title>(.*?)</title>", html, re.S)
    return match.group(1).strip() if match else ""


@session.function()
def page_links(html: str, base_url: str) -> set[str]:
    # AV201: `re` is imported at the top of the file only: NameError.
    # AV301: `urljoin` is a function imported at the top; JSON cannot carry
    # functions: FunctionSerializationError at the await.
    # AV303: a set is not JSON: TypeError: Object of type set is not JSON
    # serializable, in the sandbox.
    return {urljoin(base_url, href) for href in re.findall(r'href="([^"]+)"', html)}


@session.function()
def page_summary(html: str) -> dict:
    # AV301: `page_title` is another sandbox function; what the SDK would
    # send is its async wrapper, which JSON cannot carry.
    return {"title": page_title(html), "words": len(html.split())}


class Crawler:
    def __init__(self, start_url: str) -> None:
        self.start_url = start_url

    # AV105: a method's first argument is the instance, which the SDK sends
    # like any other argument: FunctionSerializationError in JSON mode.
    @session.function()
    def same_site(self, links: list[str]) -> list[str]:
        from urllib.parse import urlsplit

        host = urlsplit(self.start_url).hostname
        return [link for link in links if urlsplit(link).hostname == host]


@session.function()
def word_count(html: str) -> int:
    import re

    return len(re.sub(r"<[^>]+>", " ", html).split())


async def main():
    base_url = "https://blog.example/"
    print(await page_title(PAGE))
    # AV402: word_count takes one argument. The SDK's wrapper accepts any, so
    # the call fails only in the sandbox: TypeError: word_count() takes 1
    # positional argument but 2 were given.
    print(await word_count(PAGE, base_url))
    links = await page_links(PAGE, base_url)
    print(await page_summary(PAGE))
    print(await Crawler(base_url).same_site(sorted(links)))
    await session.close()


asyncio.run(main())
