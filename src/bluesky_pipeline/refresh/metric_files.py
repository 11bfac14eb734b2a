"""The registry of metric files: for each CSV in metrics/, its header, the gold mart it comes from, its order.

The one list of metrics: the export, the snapshot, the status command and the tests all read it, so a
new metric is one entry here (and its mart).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class MetricFile:
    name: str  # file name in the metrics directory
    header: tuple[str, ...]
    mart: str  # the gold table the rows come from
    columns: tuple[str, ...]  # SQL expressions over the mart, one per header column
    order_by: str  # the file's row order, as SQL

    @property
    def query(self) -> str:
        """The rows of the file, in file order."""
        return f"select {', '.join(self.columns)} from {self.mart} order by {self.order_by}"


METRICS = (
    MetricFile(
        name="likes-per-minutes.csv",
        header=("time", "likes"),
        mart="gold.likes_per_minute",
        columns=("strftime(minute_at, '%Y-%m-%d %H:%M:%S')", "likes"),
        order_by="minute_at",
    ),
    MetricFile(
        name="fast-likers.csv",
        header=("user_id", "likes"),
        mart="gold.fast_likers",
        columns=("liker_did", "likes"),
        order_by="likes desc, liker_did",
    ),
    MetricFile(
        name="top-10-word.csv",
        header=("word", "count"),
        mart="gold.top_words",
        columns=("word", "posts"),
        order_by="posts desc, word",
    ),
    MetricFile(
        name="trending-posts.csv",
        header=("post_uri", "likes"),
        mart="gold.trending_posts",
        columns=("post_uri", "likes"),
        order_by="likes desc, post_uri",
    ),
)
