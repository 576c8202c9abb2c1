"""Posts read from files of a dataset whose rows are posts (Reddit, Twitter)."""

from __future__ import annotations

from dataclasses import dataclass

from feedrank.batch.posts import PostBatch
from feedrank.errors import InputError
from feedrank.models import Author, Post

__all__ = ["PostsData"]


@dataclass(frozen=True, eq=False)
class PostsData:
    """Posts read from one or more files.

    - ``posts``: the valid rows as :class:`~feedrank.Post`, in file order.
    - ``authors``: :class:`~feedrank.Author` records where the data has facts
      about authors (Reddit with a manifest: subreddit subscriber counts), else
      empty — an author without a known follower count is left out rather than
      given a made-up 0.
    - ``errors``: one :class:`~feedrank.errors.InputError` per bad row or file
      (only with ``errors="collect"``; empty otherwise).
    - ``sources``: the files read, in order.
    """

    posts: list[Post]
    authors: list[Author]
    errors: list[InputError]
    sources: tuple[str, ...]

    def __len__(self) -> int:
        return len(self.posts)

    def batch(self) -> PostBatch:
        """The posts as a :class:`~feedrank.PostBatch` (authors fill ``author_followers``)."""
        return PostBatch.from_posts(self.posts, self.authors)
