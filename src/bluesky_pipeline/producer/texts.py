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
FRAGMENTS = 12_000  # across all languages; a post joins one or two, so texts rarely repeat
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
    "software data team code systems design rust python platform infrastructure hiring career "
    "reliability build testing security cloud hardware open source students university culture "
    "managers productivity debugging deploy kubernetes database latency mechanical civil aerospace "
    "robotics chip compiler frontend backend observability incident postmortem architecture"
).split()
EMOJI = ("😂", "🔥", "❤️", "✨", "🙏", "😭", "👀", "🎉", "💙", "🦋")
LINK_HOSTS = ("https://www.youtube.com/watch?v=", "https://github.com/", "https://bsky.app/profile/", "https://news.example.org/")


@dataclass(frozen=True)
class TextPool:
    """Prebuilt, JSON-escaped text fragments (without quotes), grouped by language."""

    languages: tuple[str, ...]
    language_weights: tuple[float, ...]
    fragments: dict[str, list[str]]
    engineering: list[str]

    def separator(self, language: str) -> str:
        """What goes between two fragments of `language`."""
        return "" if language in UNSPACED else " "


def _escape(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)[1:-1]


def _rank_cdf(size: int) -> np.ndarray:
    # Zipf-Mandelbrot over word ranks: close to natural word frequencies.
    weights = 1.0 / (np.arange(size) + 2.7)
    return np.cumsum(weights) / weights.sum()


def _handles(rng: np.random.Generator, words: list[str], count: int) -> list[str]:
    picks = rng.integers(0, len(words), count).tolist()
    numbers = rng.integers(0, 1000, count).tolist()
    return [f"@{words[pick]}{number}.bsky.social" for pick, number in zip(picks, numbers, strict=True)]


def _sentence(rng: np.random.Generator, words: list[str], cdf: np.ndarray, language: str) -> str:
    count = int(rng.integers(3, 14))
    chosen = [words[rank] for rank in np.searchsorted(cdf, rng.random(count)).tolist()]
    if language in UNSPACED:
        return "".join(chosen) + str(rng.choice(["。", "！", "", "…"]))
    text = " ".join(chosen)
    return text[:1].upper() + text[1:] + str(rng.choice([".", "!", "?", "", ""]))


def _decorate(rng: np.random.Generator, text: str, words: list[str], handles: list[str]) -> str:
    # Real posts carry links, mentions, hashtags, numbers and emoji; the metrics must see past them.
    roll = rng.random(5)
    if roll[0] < 0.06:
        text += " " + str(rng.choice(LINK_HOSTS)) + words[int(rng.integers(50, len(words)))] + str(rng.integers(1, 99_999))
    if roll[1] < 0.08:
        text = handles[int(rng.integers(0, len(handles)))] + " " + text
    if roll[2] < 0.06:
        text += " #" + words[int(rng.integers(100, len(words)))]
    if roll[3] < 0.04:
        text += " " + str(rng.integers(2, 2030))
    if roll[4] < 0.12:
        text += " " + str(rng.choice(EMOJI))
    return text


def _engineering_fragment(rng: np.random.Generator, words: list[str], cdf: np.ndarray) -> str:
    forms, weights = zip(*ENGINEERING_FORMS, strict=True)
    form = str(rng.choice(forms, p=np.array(weights) / sum(weights)))
    topic_cdf = _rank_cdf(len(ENGINEERING_TOPICS))
    topics = [ENGINEERING_TOPICS[rank] for rank in np.searchsorted(topic_cdf, rng.random(int(rng.integers(1, 4)))).tolist()]
    filler = [words[rank] for rank in np.searchsorted(cdf, rng.random(int(rng.integers(2, 7)))).tolist()]
    parts = [*filler[:2], form, *topics, *filler[2:]]
    return " ".join(parts)


def build_text_pool(rng: np.random.Generator) -> TextPool:
    """Fragments for every language in `LANGUAGE_SHARES`, and English ones that mention engineering."""
    fragments: dict[str, list[str]] = {}
    english: list[str] = []
    for language, share in LANGUAGE_SHARES.items():
        words = wordfreq.top_n_list(language, VOCABULARY, wordlist="small")
        cdf = _rank_cdf(len(words))
        handles = _handles(rng, words, 200)
        count = max(100, int(FRAGMENTS * share))
        texts = [_decorate(rng, _sentence(rng, words, cdf, language), words, handles) for _ in range(count)]
        fragments[language] = [_escape(text) for text in texts]
        if language == "en":
            english = words
    english_cdf = _rank_cdf(len(english))
    engineering = [_escape(_engineering_fragment(rng, english, english_cdf)) for _ in range(400)]
    total = sum(LANGUAGE_SHARES.values())
    return TextPool(
        languages=tuple(LANGUAGE_SHARES),
        language_weights=tuple(share / total for share in LANGUAGE_SHARES.values()),
        fragments=fragments,
        engineering=engineering,
    )
