"""Post texts for the simulated stream: believable sentences in many languages, some about engineering.

Words are drawn by rank from `wordfreq`'s per-language frequency lists (Zipf's law), so the common words
and stopwords of each language dominate as in real posts. Texts are prebuilt as JSON-escaped fragments.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np
import wordfreq

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
LINK_HOSTS = (
    "https://www.youtube.com/watch?v=",
    "https://github.com/",
    "https://bsky.app/profile/",
    "https://news.example.org/",
)


@dataclass(frozen=True)
class TextPool:
    """Prebuilt text fragments, JSON-escaped and UTF-8 encoded (without quotes), grouped by language."""

    languages: tuple[str, ...]
    language_weights: tuple[float, ...]
    fragments: dict[str, list[bytes]]
    engineering: list[bytes]

    def separator(self, language: str) -> bytes:
        """What goes between two fragments of `language`."""
        return b"" if language in UNSPACED else b" "


def _escape(text: str) -> bytes:
    return json.dumps(text, ensure_ascii=False)[1:-1].encode("utf-8")


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


def _decorate(rng: np.random.Generator, texts: list[str], words: list[str]) -> list[str]:
    # Real posts carry links, mentions, hashtags, numbers and emoji; the metrics must see past them.
    rolls = rng.random((len(texts), 5)).tolist()
    picks = rng.integers(100, len(words), (len(texts), 4)).tolist()
    decorated = []
    for text, roll, pick in zip(texts, rolls, picks, strict=True):
        parts = [text]
        if roll[0] < 0.06:
            parts.append(f"{LINK_HOSTS[pick[0] % len(LINK_HOSTS)]}{words[pick[0]]}{pick[1]}")
        if roll[1] < 0.08:
            parts.insert(0, f"@{words[pick[1]]}{pick[2] % 1000}.bsky.social")
        if roll[2] < 0.06:
            parts.append(f"#{words[pick[2]]}")
        if roll[3] < 0.04:
            parts.append(str(pick[3] % 2030))
        if roll[4] < 0.12:
            parts.append(EMOJI[pick[3] % len(EMOJI)])
        decorated.append(" ".join(parts))
    return decorated


def _engineering(rng: np.random.Generator, words: list[str], count: int) -> list[str]:
    forms, weights = zip(*ENGINEERING_FORMS, strict=True)
    chosen = rng.choice(len(forms), size=count, p=np.array(weights) / sum(weights)).tolist()
    topics = _word_runs(rng, list(ENGINEERING_TOPICS), count, (1, 4))
    fillers = _word_runs(rng, words, count, (2, 7))
    return [
        " ".join([*filler[:2], forms[form], *topic, *filler[2:]])
        for form, topic, filler in zip(chosen, topics, fillers, strict=True)
    ]


def build_text_pool(rng: np.random.Generator) -> TextPool:
    """Fragments for every language in `LANGUAGE_SHARES`, and English ones that mention engineering."""
    fragments: dict[str, list[bytes]] = {}
    english: list[str] = []
    for language, share in LANGUAGE_SHARES.items():
        words = wordfreq.top_n_list(language, VOCABULARY, wordlist="small")
        count = max(100, int(FRAGMENTS * share))
        texts = _decorate(rng, _sentences(rng, words, count, language), words)
        fragments[language] = [_escape(text) for text in texts]
        if language == "en":
            english = words
    total = sum(LANGUAGE_SHARES.values())
    return TextPool(
        languages=tuple(LANGUAGE_SHARES),
        language_weights=tuple(share / total for share in LANGUAGE_SHARES.values()),
        fragments=fragments,
        engineering=[_escape(text) for text in _engineering(rng, english, 400)],
    )
