"""The reference crawler for `just bench crawl`: Scrapy following every same-site link,
with the same per-host concurrency as ours, robots.txt obeyed and no delay. Prints
{"pages": ..., "seconds": ...} like bench-crawl does."""

import json
import sys
import time

import scrapy
from scrapy.crawler import CrawlerProcess
from scrapy.linkextractors import LinkExtractor
from scrapy.spiders import CrawlSpider, Rule


class SiteSpider(CrawlSpider):
    name = "site"
    rules = (Rule(LinkExtractor(), callback="parse_item", follow=True),)

    def __init__(self, start, **kwargs):
        self.start_urls = [start]
        self.allowed_domains = ["127.0.0.1"]
        super().__init__(**kwargs)

    def parse_start_url(self, response):
        return self.parse_item(response)

    def parse_item(self, response):
        yield {"url": response.url, "title": response.css("title::text").get()}


def main():
    domain, concurrency = sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 8
    process = CrawlerProcess(
        settings={
            "CONCURRENT_REQUESTS": concurrency,
            "CONCURRENT_REQUESTS_PER_DOMAIN": concurrency,
            "ROBOTSTXT_OBEY": True,
            "DOWNLOAD_DELAY": 0,
            "DEPTH_LIMIT": 10,
            "LOG_LEVEL": "ERROR",
            "TELNETCONSOLE_ENABLED": False,
            "ITEM_PIPELINES": {},
        }
    )
    crawler = process.create_crawler(SiteSpider)
    started = time.monotonic()
    process.crawl(crawler, start=f"http://{domain}/")
    process.start()
    seconds = time.monotonic() - started
    stats = crawler.stats.get_stats()
    pages = stats.get("item_scraped_count", 0)
    print(json.dumps({"pages": pages, "seconds": seconds}))


if __name__ == "__main__":
    main()
