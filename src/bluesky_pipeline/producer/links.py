"""What simulated posts point at: web links of the kinds Bluesky posts carry, and accounts to mention.

Engineering posts link to code, talks and write-ups (GitHub, YouTube, bsky.app, blogs, arXiv); other posts
to videos, news, shops and encyclopedias. Each link also says how a producer without facets writes it.
"""

from __future__ import annotations

import string
from collections.abc import Callable

import numpy as np

from bluesky_pipeline.producer.richtext import Link, Mention, short_url

REPOSITORIES = (
    *("duckdb/duckdb", "rust-lang/rust", "python/cpython", "apache/spark", "dbt-labs/dbt-core"),
    *("bluesky-social/atproto", "torvalds/linux", "kubernetes/kubernetes", "astral-sh/uv", "pola-rs/polars"),
    *("tokio-rs/tokio", "grafana/grafana", "postgres/postgres", "pytorch/pytorch", "nodejs/node"),
)
REPOSITORY_PAGES = ("", "", "/pull/{n}", "/issues/{n}", "/releases", "/blob/main/README.md")
NEWS_SITES = ("www.theguardian.com/technology", "www.nytimes.com", "www.theverge.com", "arstechnica.com/science")
HANDLE_DOMAINS = (".com", ".dev", ".net", ".org", ".xyz", ".social")
# How a producer without facets writes a link: the full URI, a domain typed without a scheme (as people
# type `github.com/duckdb/duckdb`), or the shortened text copied from the app.
PLAIN_FORMS = (0.5, 0.4, 0.1)

ALPHANUMERIC = string.ascii_letters + string.digits + "-_"


class Links:
    """Draws links and handles from `rng`, with slugs and names made of the `words` given."""

    def __init__(self, rng: np.random.Generator, words: list[str], dids: list[str], handles: int) -> None:
        self._rng = rng
        self._words = [word for word in words if word.isascii() and word.isalpha()]
        self.mentions = [Mention(self._handle(), did) for did in rng.choice(dids, handles).tolist()]

    def _word(self) -> str:
        return self._words[int(self._rng.integers(20, len(self._words)))]

    def _slug(self, words: tuple[int, int] = (2, 6)) -> str:
        return "-".join(self._word() for _ in range(int(self._rng.integers(*words))))

    def _token(self, length: int) -> str:
        return "".join(self._rng.choice(list(ALPHANUMERIC), length).tolist())

    def _digits(self, length: int) -> str:
        return str(int(self._rng.integers(10 ** (length - 1), 10**length)))

    def _handle(self) -> str:
        draw = self._rng.random()
        if draw < 0.6:
            return f"{self._word()}{self._rng.integers(1, 10_000)}.bsky.social"
        if draw < 0.75:
            return f"{self._word()}.bsky.social"
        return f"{self._word()}{self._word()}{HANDLE_DOMAINS[int(draw * 100) % len(HANDLE_DOMAINS)]}"

    def mention(self) -> Mention:
        return self.mentions[int(self._rng.integers(len(self.mentions)))]

    def engineering(self) -> Link:
        """A link as engineering posts carry them: code, talks, papers, write-ups."""
        return self._link(
            self._pick(
                (0.35, self._github),
                (0.2, self._youtube),
                (0.15, self._bluesky),
                (0.15, self._blog),
                (0.08, self._arxiv),
                (0.07, self._hacker_news),
            )
        )

    def general(self) -> Link:
        """A link as other posts carry them."""
        return self._link(
            self._pick(
                (0.3, self._youtube),
                (0.2, self._bluesky),
                (0.2, self._news),
                (0.1, self._blog),
                (0.1, self._wikipedia),
                (0.05, self._shop),
                (0.05, self._github),
            )
        )

    def _pick(self, *choices: tuple[float, Callable[[], str]]) -> str:
        draw, total = self._rng.random(), 0.0
        for share, make in choices:
            total += share
            if draw < total:
                return make()
        return choices[-1][1]()

    def _link(self, uri: str) -> Link:
        draw = self._rng.random()
        if draw < PLAIN_FORMS[0]:
            return Link(uri, uri)
        if draw < PLAIN_FORMS[0] + PLAIN_FORMS[1]:
            return Link(uri, uri.removeprefix("https://"))
        return Link(uri, short_url(uri))

    def _github(self) -> str:
        repository = REPOSITORIES[int(self._rng.integers(len(REPOSITORIES)))]
        page = REPOSITORY_PAGES[int(self._rng.integers(len(REPOSITORY_PAGES)))]
        return f"https://github.com/{repository}{page.format(n=self._rng.integers(100, 40_000))}"

    def _youtube(self) -> str:
        if self._rng.random() < 0.5:
            return f"https://youtu.be/{self._token(11)}?si={self._token(16)}"
        return f"https://www.youtube.com/watch?v={self._token(11)}"

    def _bluesky(self) -> str:
        post = "".join(self._rng.choice(list("234567abcdefghijklmnopqrstuvwxyz"), 13).tolist())
        return f"https://bsky.app/profile/{self.mention().handle}/post/{post}"

    def _blog(self) -> str:
        if self._rng.random() < 0.5:
            return f"https://{self._word()}.substack.com/p/{self._slug()}"
        return f"https://{self._word()}{self._word()}.dev/posts/{self._slug()}/"

    def _arxiv(self) -> str:
        return f"https://arxiv.org/abs/{self._rng.integers(20, 27)}{self._rng.integers(1, 13):02d}.{self._digits(5)}"

    def _hacker_news(self) -> str:
        return f"https://news.ycombinator.com/item?id={self._digits(8)}"

    def _news(self) -> str:
        site = NEWS_SITES[int(self._rng.integers(len(NEWS_SITES)))]
        date = f"{self._rng.integers(2024, 2027)}/{self._rng.integers(1, 13):02d}/{self._rng.integers(1, 29):02d}"
        if self._rng.random() < 0.2:
            return f"https://denikn.cz/{self._digits(7)}"
        return f"https://{site}/{date}/{self._slug((3, 8))}"

    def _wikipedia(self) -> str:
        return f"https://en.wikipedia.org/wiki/{self._word().capitalize()}_{self._word()}"

    def _shop(self) -> str:
        title = "-".join(word.capitalize() for word in self._slug((2, 5)).split("-"))
        return f"https://www.amazon.com/{title}/dp/B0{self._token(8).upper()}"
