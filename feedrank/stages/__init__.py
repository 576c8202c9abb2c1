"""The stages of a ranking algorithm: signals, filters, the scorer and re-rankers.

Each stage is a component (a frozen pydantic model with a ``type`` tag) that
implements one batched protocol over the candidates of one or many requests.
"""

__all__: list[str] = []
