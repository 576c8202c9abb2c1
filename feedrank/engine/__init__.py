"""The ranking engine: filters, scorer, re-rankers and page over request segments."""

__all__: list[str] = []
