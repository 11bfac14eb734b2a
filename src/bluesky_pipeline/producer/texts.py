"""Post texts for the simulated stream: believable sentences in many languages, some about engineering.

Words are drawn by rank from `wordfreq`'s per-language frequency lists (Zipf's law), so the common words
and stopwords of each language dominate as in real posts. Texts are prebuilt fragments of rich text
(richtext.py): words, and the links, mentions and hashtags that Bluesky clients mark with facets.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import wordfreq

from bluesky_pipeline.producer.links import Links
from bluesky_pipeline.producer.richtext import Segment, Tag

# Share of posts per language, roughly as on Bluesky (English first, then Japanese, Portuguese, ...).
LANGUAGE_SHARES = {
    "en": 0.52,
    "ja": 0.15,
    "pt": 0.10,
    "de": 0.05,
    "es": 0.04,
    "fr": 0.03,
    "ko": 0.02,
    "it": 0.015,
    "nl": 0.015,
    "pl": 0.01,
    "tr": 0.01,
    "zh": 0.01,
    "ru": 0.01,
    "uk": 0.005,
    "sv": 0.005,
}
UNSPACED = frozenset({"ja", "zh"})  # scripts written without spaces between words
FRAGMENTS = 6_000  # across all languages; a post joins one or two, so texts rarely repeat
VOCABULARY = 4_000  # most frequent words kept per language
HANDLES = 3_000  # accounts that posts mention, each with its DID
NAMES = 500  # display names for profiles

# How a post mentions engineering: whole-word forms the top-10-word metric must count, and near
# misses it must not ("reengineering", "engineers"). Weighted toward the plain word.
ENGINEERING_FORMS = (
    ("engineering", 30),
    ("Engineering", 12),
    ("Engineering!", 6),
    ("#engineering", 10),
    ("#Engineering", 3),
    ("software engineering", 12),
    ("ENGINEERING", 3),
    ("engineering.", 6),
    ("(engineering)", 2),
    ("reengineering", 6),
    ("engineers", 6),
    ("#engineeringlife", 2),
    ("engineered", 2),
)
# What engineering posts talk about, most common first, so their top words are stable and meaningful.
ENGINEERING_TOPICS = (
    *("software", "data", "team", "code", "systems", "design", "rust", "python", "platform", "infrastructure"),
    *("hiring", "career", "reliability", "build", "testing", "security", "cloud", "hardware", "open", "source"),
    *("students", "university", "culture", "managers", "productivity", "debugging", "deploy", "kubernetes"),
    *("database", "latency", "mechanical", "civil", "aerospace", "robotics", "chip", "compiler", "frontend"),
    *("backend", "observability", "incident", "postmortem", "architecture"),
)
EMOJI = ("😂", "🔥", "❤️", "✨", "🙏", "😭", "👀", "🎉", "💙", "🦋")
# What a post carries besides its words (shares per fragment); real posts carry all of these, and the
# top-words metric must see past them. Engineering posts link and mention more: they share code and talks.
LINK_SHARE, MENTION_SHARE, TAG_SHARE, NUMBER_SHARE, EMOJI_SHARE = 0.06, 0.08, 0.06, 0.04, 0.12
ENGINEERING_LINK_SHARE, ENGINEERING_MENTION_SHARE, ENGINEERING_TAG_SHARE = 0.35, 0.12, 0.2
ENGINEERING_TAGS = ("rust", "python", "dataengineering", "opensource", "devops", "duckdb", "databases", "sre")


@dataclass(frozen=True)
class TextPool:
    """Prebuilt text fragments as runs of rich-text segments, grouped by language."""

    languages: tuple[str, ...]
    language_weights: tuple[float, ...]
    fragments: dict[str, list[list[Segment]]]
    engineering: list[list[Segment]]
    links: Links  # more links, for link cards
    names: list[str]  # display names

    def separator(self, language: str, number: int) -> str:
        """What goes between fragment `number` of `language` and the one before: a space (nothing in
        unspaced scripts), or for every seventh fragment a new paragraph, as many posts have."""
        if number % 7 == 6:
            return "\n" if language in UNSPACED else "\n\n"
        return "" if language in UNSPACED else " "


def _rank_cdf(size: int) -> np.ndarray:
    # Zipf-Mandelbrot over word ranks: close to natural word frequencies.
    weights = 1.0 / (np.arange(size) + 2.7)
    cdf: np.ndarray = np.cumsum(weights) / weights.sum()
    return cdf


def _word_runs(rng: np.random.Generator, words: list[str], count: int, sizes: tuple[int, int]) -> list[list[str]]:
    """`count` runs of words drawn by frequency rank, each of a length in `sizes` (upper bound excluded)."""
    lengths = rng.integers(*sizes, count).tolist()
    ranks = np.searchsorted(_rank_cdf(len(words)), rng.random(sum(lengths))).tolist()
    drawn = [words[rank] for rank in ranks]
    ends = np.cumsum(lengths).tolist()
    return [drawn[end - length : end] for end, length in zip(ends, lengths, strict=True)]


def _sentences(rng: np.random.Generator, words: list[str], count: int, language: str) -> list[str]:
    endings = rng.integers(0, 5, count).tolist()
    texts = []
    for run, ending in zip(_word_runs(rng, words, count, (3, 14)), endings, strict=True):
        if language in UNSPACED:
            texts.append("".join(run) + ("。", "\N{FULLWIDTH EXCLAMATION MARK}", "", "…", "")[ending])
        else:
            text = " ".join(run)
            texts.append(text[:1].upper() + text[1:] + (".", "!", "?", "", "")[ending])
    return texts


def _spaced(parts: list[Segment]) -> list[Segment]:
    """The parts with a space between each two (clients detect links, mentions and tags after a space)."""
    spaced: list[Segment] = []
    for part in parts:
        spaced += [" ", part] if spaced else [part]
    return spaced


def _decorate(
    rng: np.random.Generator, texts: list[str], words: list[str], language: str, links: Links
) -> list[list[Segment]]:
    rolls = rng.random((len(texts), 5)).tolist()
    picks = rng.integers(100, len(words), (len(texts), 2)).tolist()
    tags = [word for word in words if word.isalpha()]  # a tag must hold a letter (atproto's TAG_REGEX)
    decorated = []
    for text, roll, pick in zip(texts, rolls, picks, strict=True):
        parts: list[Segment] = [text]
        if roll[0] < LINK_SHARE:
            parts.append(links.general())
        if roll[1] < MENTION_SHARE:
            # A mention opens the text, except in unspaced scripts, where a fragment may follow another
            # without a space and clients only see a mention after a space.
            parts.insert(len(parts) if language in UNSPACED else 0, links.mention())
        if roll[2] < TAG_SHARE:
            parts.append(Tag(tags[pick[0] % len(tags)]))
        if roll[3] < NUMBER_SHARE:
            parts.append(str(pick[1] % 2030))
        if roll[4] < EMOJI_SHARE:
            parts.append(EMOJI[pick[1] % len(EMOJI)])
        decorated.append(_spaced(parts))
    return decorated


def _engineering(rng: np.random.Generator, words: list[str], count: int, links: Links) -> list[list[Segment]]:
    forms, weights = zip(*ENGINEERING_FORMS, strict=True)
    chosen = rng.choice(len(forms), size=count, p=np.array(weights) / sum(weights)).tolist()
    topics = _word_runs(rng, list(ENGINEERING_TOPICS), count, (1, 4))
    fillers = _word_runs(rng, words, count, (2, 7))
    rolls = rng.random((count, 5)).tolist()
    texts = []
    for form, topic, filler, roll in zip(chosen, topics, fillers, rolls, strict=True):
        written = forms[form]
        mentioned: Segment = Tag(written[1:]) if written.startswith("#") else written
        parts: list[Segment] = [*filler[:2], mentioned, *topic, *filler[2:]]
        if roll[0] < ENGINEERING_LINK_SHARE:
            parts.append(links.engineering())
        if roll[1] < ENGINEERING_MENTION_SHARE:
            parts.insert(0 if roll[3] < 0.5 else len(parts), links.mention())
        if roll[2] < ENGINEERING_TAG_SHARE:
            parts.append(Tag(ENGINEERING_TAGS[int(roll[4] * len(ENGINEERING_TAGS))]))
        texts.append(_spaced(parts))
    return texts


def build_text_pool(rng: np.random.Generator, dids: list[str]) -> TextPool:
    """Fragments for every language in `LANGUAGE_SHARES`, and English ones that mention engineering;
    mentions name accounts among `dids`."""
    english = wordfreq.top_n_list("en", VOCABULARY, wordlist="small")
    links = Links(rng, english, dids, HANDLES)
    fragments: dict[str, list[list[Segment]]] = {}
    for language, share in LANGUAGE_SHARES.items():
        words = english if language == "en" else wordfreq.top_n_list(language, VOCABULARY, wordlist="small")
        count = max(100, int(FRAGMENTS * share))
        fragments[language] = _decorate(rng, _sentences(rng, words, count, language), words, language, links)
    total = sum(LANGUAGE_SHARES.values())
    names = [word.capitalize() for word in english if word.isascii() and word.isalpha() and len(word) > 3]
    return TextPool(
        languages=tuple(LANGUAGE_SHARES),
        language_weights=tuple(share / total for share in LANGUAGE_SHARES.values()),
        fragments=fragments,
        engineering=_engineering(rng, english, 400, links),
        links=links,
        names=[names[i] for i in rng.integers(0, len(names), NAMES).tolist()],
    )
