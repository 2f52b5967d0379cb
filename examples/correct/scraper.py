"""Fetch web pages and extract their title, headings and links.

Fetching runs async code inside a synchronous sandbox function with
`asyncio.run`, as the SDK documentation recommends.
"""

import asyncio

from aviato import Sandbox, SandboxDefaults

URLS = ["https://example.com/", "https://www.iana.org/help/example-domains"]


async def main():
    defaults = SandboxDefaults(container_image="python:3.11")
    async with Sandbox.session(defaults) as session:

        @session.function()
        def fetch_pages(urls: list[str]) -> dict[str, str]:
            import asyncio
            import urllib.request

            def fetch(url: str) -> str:
                with urllib.request.urlopen(url, timeout=10) as response:
                    return response.read().decode("utf-8", "replace")

            async def fetch_all() -> list[str]:
                return await asyncio.gather(
                    *(asyncio.to_thread(fetch, url) for url in urls)
                )

            return dict(zip(urls, asyncio.run(fetch_all())))

        @session.function()
        def parse_page(html: str, base_url: str) -> dict:
            from html.parser import HTMLParser
            from urllib.parse import urljoin

            # A class defined in the body is defined in the sandbox too.
            class PageParser(HTMLParser):
                def __init__(self) -> None:
                    super().__init__()
                    self.open_tag = ""
                    self.title = ""
                    self.headings: list[str] = []
                    self.links: list[str] = []

                def handle_starttag(self, tag, attrs):
                    self.open_tag = tag
                    href = dict(attrs).get("href")
                    if tag == "a" and href:
                        self.links.append(urljoin(base_url, href))

                def handle_endtag(self, tag):
                    self.open_tag = ""

                def handle_data(self, data):
                    text = data.strip()
                    if self.open_tag == "title":
                        self.title += text
                    elif self.open_tag in ("h1", "h2", "h3") and text:
                        self.headings.append(text)

            parser = PageParser()
            parser.feed(html)
            return {
                "title": parser.title,
                "headings": parser.headings,
                "links": sorted(set(parser.links)),
            }

        pages = await fetch_pages(URLS)
        summaries = await asyncio.gather(
            *(parse_page(html, url) for url, html in pages.items())
        )
        for url, summary in zip(pages, summaries):
            print(url, "-", summary["title"], f"({len(summary['links'])} links)")


asyncio.run(main())
