"""`GraphSizes`: the size properties of anything that holds a ``graph`` and features ``x``
(datasets, samples, batches), written once."""
from __future__ import annotations

__all__ = ["GraphSizes"]


class GraphSizes:
    """Mixin giving ``num_nodes``, ``num_edges`` and ``num_features`` to a class with a
    ``graph`` attribute (a :class:`~graphssl.sparse.Graph`) and node features ``x``."""

    @property
    def num_nodes(self) -> int:
        """Number of nodes ``N`` of ``graph``."""
        return self.graph.num_nodes

    @property
    def num_edges(self) -> int:
        """Directed edges of ``graph`` (each undirected edge counts twice, as in PyG)."""
        return self.graph.num_edges

    @property
    def num_features(self) -> int:
        """Node feature width ``F`` (0 when there are no features)."""
        x = getattr(self, "x", None)
        return 0 if x is None else x.size(-1)
