"""Network balance: caps on followed and other accounts ahead of the rest."""

from __future__ import annotations

from typing import Annotated, Literal

import numpy as np
from numpy.typing import NDArray
from pydantic import Field, model_validator

from feedrank.batch.posts import PostBatch
from feedrank.batch.requests import Requests
from feedrank.batch.segments import segmented_flag_rank
from feedrank.stages.rerank.base import (
    CodedStep,
    Reranker,
    register_reranker,
)

__all__ = ["NetworkCaps"]


@register_reranker
class NetworkCaps(Reranker):
    """At most ``max_in_network`` posts from followed authors and
    ``max_out_of_network`` from others rank ahead; the rest move below them
    (X's content balance: 60 and 60 of 120)."""

    type: Literal["network_caps"] = "network_caps"
    max_in_network: Annotated[int, Field(ge=0)] | None = None
    max_out_of_network: Annotated[int, Field(ge=0)] | None = None

    @model_validator(mode="after")
    def _some_cap(self) -> NetworkCaps:
        if self.max_in_network is None and self.max_out_of_network is None:
            raise ValueError("set max_in_network, max_out_of_network or both")
        return self

    def adjust_many(
        self,
        batch: PostBatch,
        requests: Requests,
        order: NDArray[np.intp],
        scores: NDArray[np.float64],
    ) -> CodedStep:
        inn = requests.in_network
        k = segmented_flag_rank(requests.offsets, inn, order)
        over_in, over_out = self._over(inn, k)
        codes = over_in.astype(np.intp) + 2 * over_out.astype(np.intp)
        table = (
            f"in_network_cap:{self.max_in_network}",
            f"out_of_network_cap:{self.max_out_of_network}",
        )
        return CodedStep(None, (over_in | over_out).astype(np.int64), codes, table)

    def _over(
        self, inn: NDArray[np.bool_], k: NDArray[np.int64]
    ) -> tuple[NDArray[np.bool_], NDArray[np.bool_]]:
        cap_in = self.max_in_network if self.max_in_network is not None else np.iinfo(np.int64).max
        cap_out = (
            self.max_out_of_network
            if self.max_out_of_network is not None
            else np.iinfo(np.int64).max
        )
        over_in: NDArray[np.bool_] = inn & (k >= cap_in)
        over_out: NDArray[np.bool_] = ~inn & (k >= cap_out)
        return over_in, over_out

    def describe(self) -> str:
        caps = []
        if self.max_in_network is not None:
            caps.append(f"{self.max_in_network} from followed accounts")
        if self.max_out_of_network is not None:
            caps.append(f"{self.max_out_of_network} from other accounts")
        return "At most " + " and ".join(caps) + " rank ahead of the rest"
