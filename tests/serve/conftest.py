"""One feed-generator server for the whole ``tests/serve`` run (it is slow to start)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.serve._helpers import Keys, Server, feed_server


@pytest.fixture(scope="session")
def keys() -> Keys:
    return Keys()


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory, keys: Keys) -> Iterator[Server]:
    running = feed_server(
        tmp_path_factory.mktemp("serve"),
        keys,
        "--db-busy-ms", "200",
        "--header-timeout", "2",
        "--max-body-bytes", "4000000",
    )  # fmt: skip
    yield running
    running.stop()
