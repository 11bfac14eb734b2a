"""`./bluesky --simulate` writes posts as Bluesky clients do: facets at exact UTF-8 byte offsets, links shown
shortened and without their scheme, mentions and tags marked, embeds with blobs as `"<binary>"`; and some
posts from producers that write no facets.

The checks read the shared 60-second stream (the `simulated` fixture). The link display rule is restated
here from social-app's `toShortUrl` (host and path, cut to 13 characters and "..." past 15), not imported.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any
from urllib.parse import urlsplit

import pytest

Stream = Any  # conftest.Stream: raw, lines, events
FACET = "app.bsky.richtext.facet"
DID = re.compile(r"did:plc:[a-z2-7]{24}")
HANDLE = re.compile(r"@[a-z0-9-]+(\.[a-z0-9-]+)+")
ENGINEERING = re.compile(r"(?<![\w])engineering(?![\w])", re.IGNORECASE)
SCHEMELESS_LINK = re.compile(r"(?<![/\w.])[a-z0-9-]+(\.[a-z0-9-]+)*\.(com|be|app|org|dev|cz)/\S+")


def shown_as(uri: str) -> str:
    """How Bluesky's app shows a link: without the scheme, a path (with query) over 15 characters cut."""
    parts = urlsplit(uri)
    path = ("" if parts.path == "/" else parts.path) + (f"?{parts.query}" if parts.query else "")
    return parts.netloc + (path[:13] + "..." if len(path) > 15 else path)


@pytest.fixture(scope="module")
def posts(simulated: Stream) -> list[dict[str, Any]]:
    """The records of the distinct posts of the shared stream."""
    seen, records = set(), []
    for event in simulated.events:
        if event["path"].startswith("app.bsky.feed.post/") and event["path"] not in seen:
            seen.add(event["path"])
            records.append(event["record"])
    return records


def marked(post: dict[str, Any]) -> list[tuple[str, str, dict[str, Any], dict[str, Any]]]:
    """(feature kind, the text its byte range covers, the feature, the facet) for each facet of a post."""
    text = post["text"].encode("utf-8")
    found = []
    for facet in post.get("facets", []):
        (feature,) = facet["features"]
        covered = text[facet["index"]["byteStart"] : facet["index"]["byteEnd"]].decode("utf-8")
        found.append((feature["$type"].removeprefix(f"{FACET}#"), covered, feature, facet))
    return found


def test_facets_cover_exactly_the_utf8_bytes_of_their_link_mention_or_tag(posts: list[dict[str, Any]]) -> None:
    kinds: Counter[str] = Counter()
    wrong = []
    for post in posts:
        for kind, covered, feature, facet in marked(post):
            kinds[kind] += 1
            if kind == "link":
                right = covered == shown_as(feature["uri"]) and feature["uri"].startswith("https://")
            elif kind == "mention":
                # The official client also types mention facets themselves (seen in recorded posts).
                right = bool(HANDLE.fullmatch(covered) and DID.fullmatch(feature["did"])) and facet["$type"] == FACET
            else:
                right = kind == "tag" and covered == f"#{feature['tag']}"
            if not right or (kind != "mention" and "$type" in facet):
                wrong.append((post["text"], kind, covered, feature))
    assert wrong[:3] == []
    assert min(kinds["link"], kinds["mention"], kinds["tag"]) > 300
    assert set(kinds) == {"link", "mention", "tag"}


def test_facets_after_multibyte_characters_count_bytes_not_characters(posts: list[dict[str, Any]]) -> None:
    # Once a non-ASCII character comes first, byte and character offsets part: the facets hold bytes.
    shifted = [
        (post["text"][facet["index"]["byteStart"] : facet["index"]["byteEnd"]], covered)
        for post in posts
        for _, covered, _, facet in marked(post)
        if not post["text"].encode("utf-8")[: facet["index"]["byteStart"]].isascii()
    ]
    assert len(shifted) > 100
    assert all(by_characters != covered for by_characters, covered in shifted)


def test_the_client_shows_links_shortened_and_keeps_the_full_link_in_the_facet(posts: list[dict[str, Any]]) -> None:
    links = [feature["uri"] for post in posts for kind, _, feature, _ in marked(post) if kind == "link"]
    shortened = [uri for uri in links if shown_as(uri).endswith("...")]
    assert len(shortened) > 0.3 * len(links)
    hosts = Counter(urlsplit(uri).netloc for uri in links)
    for host in ("github.com", "youtu.be", "www.youtube.com", "bsky.app"):
        assert hosts[host] > 10, host
    with_facets = [post["text"] for post in posts if post.get("facets")]
    assert not any("https://" in text for text in with_facets)  # the scheme is only in the facet


def test_some_posts_come_without_facets_and_type_their_links_out(posts: list[dict[str, Any]]) -> None:
    plain = [post["text"] for post in posts if "facets" not in post]
    assert any("https://" in text for text in plain)
    schemeless = [text for text in plain if SCHEMELESS_LINK.search(text) and "https://" not in text]
    assert len(schemeless) > 20  # as people type `github.com/duckdb/duckdb`: no facet to say it is a link
    assert any(HANDLE.search(text) for text in plain)  # mentions, unmarked
    assert any(re.search(r"(^|\s)#\w", text) for text in plain)  # hashtags, unmarked


def test_engineering_posts_often_carry_links_and_mentions(posts: list[dict[str, Any]]) -> None:
    engineering = [post for post in posts if ENGINEERING.search(post["text"])]
    kinds_per_post = [{kind for kind, *_ in marked(post)} for post in engineering]
    linking = sum("link" in kinds for kinds in kinds_per_post) / len(engineering)
    mentioning = sum("mention" in kinds for kinds in kinds_per_post) / len(engineering)
    assert linking > 0.2
    assert mentioning > 0.05
    tags = {feature.get("tag") for post in engineering for _, _, feature, _ in marked(post)}
    assert "engineering" in tags  # `#engineering` is a tag facet when a client writes it


def blobs(value: object) -> list[dict[str, Any]]:
    """Every blob inside a record."""
    if isinstance(value, dict):
        found = [value] if value.get("$type") == "blob" else []
        return found + [blob for item in value.values() for blob in blobs(item)]
    if isinstance(value, list):
        return [blob for item in value for blob in blobs(item)]
    return []


def test_embeds_are_the_kinds_clients_write_with_blob_refs_as_binary(posts: list[dict[str, Any]]) -> None:
    embeds = [post["embed"] for post in posts if "embed" in post]
    kinds = Counter(embed["$type"] for embed in embeds)
    for kind in ("images", "video", "external", "record", "recordWithMedia"):
        assert kinds[f"app.bsky.embed.{kind}"] > 20, kind
    cards = [embed["external"] for embed in embeds if embed["$type"] == "app.bsky.embed.external"]
    assert any("thumb" in card for card in cards)
    assert all(card["uri"].startswith("https://") for card in cards)
    assert any(len(embed["images"]) > 1 for embed in embeds if embed["$type"] == "app.bsky.embed.images")
    found = [blob for post in posts for blob in blobs(post)]
    assert len(found) > len(embeds)
    assert all(blob["ref"] == "<binary>" and blob["size"] > 0 and "/" in blob["mimeType"] for blob in found)
    assert {blob["mimeType"] for blob in found} == {"image/jpeg", "video/mp4"}
