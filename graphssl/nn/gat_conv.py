"""Graph attention (Velickovic et al.), multi-head, in the form GraphMAE and PyG use."""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ..sparse.ops import edge_softmax, gat_aggregate, sddmm, spmm
from .dropout import dropout
from .graph_views import GraphLike, check_layer_input, with_self_loops
from .input_linear import input_linear, mostly_zero

__all__ = ["GATConv"]


class GATConv(nn.Module):
    """Multi-head graph attention layer.

    For an edge ``s -> t`` and head ``h``: ``e = LeakyReLU(a_src . W x_s + a_dst . W x_t)``,
    ``alpha = softmax`` of ``e`` over ``t``'s incoming edges, and
    ``out_t = sum_s alpha_st W x_s`` per head; heads are concatenated or averaged, then
    the residual and the bias are added.

    Args:
        in_dim: input feature width.
        out_dim: width of each head.
        heads: number of attention heads.
        concat: concatenate heads (``heads * out_dim`` outputs) or average them (``out_dim``).
        negative_slope: LeakyReLU slope of the attention logits.
        attn_drop: dropout on the attention coefficients (training only).
        feat_drop: dropout on the input features (training only; the residual sees the
            dropped features too, as in GraphMAE).
        residual: add a projection of the input (identity when the widths already match,
            otherwise a bias-free linear map, as in GraphMAE/DGL).
        bias: add a learnable bias.
        add_self_loops: attend to each node itself too (adds only missing loops; a graph
            that already has them, as GraphMAE's preprocessed ones, is unchanged).

    Shapes:
        ``forward(graph, x)``: ``x [num_src_nodes, in_dim]`` ->
        ``[num_dst_nodes, heads * out_dim]`` (concat) or ``[num_dst_nodes, out_dim]``.
        Edge weights of the graph are ignored.
    """

    def __init__(self, in_dim: int, out_dim: int, heads: int = 1, concat: bool = True,
                 negative_slope: float = 0.2, attn_drop: float = 0.0, feat_drop: float = 0.0,
                 residual: bool = False, bias: bool = True, add_self_loops: bool = True) -> None:
        super().__init__()
        if in_dim <= 0 or out_dim <= 0 or heads <= 0:
            raise ValueError(f"GATConv needs positive in_dim, out_dim, heads; got {in_dim}, {out_dim}, {heads}")
        for name, p in (("attn_drop", attn_drop), ("feat_drop", feat_drop)):
            if not 0.0 <= p < 1.0:
                raise ValueError(f"GATConv {name} must be in [0, 1), got {p}")
        self.in_dim, self.out_dim, self.heads, self.concat = in_dim, out_dim, heads, concat
        self.negative_slope = negative_slope
        self.attn_drop, self.feat_drop = attn_drop, feat_drop
        self.add_self_loops = add_self_loops
        self.total_out = heads * out_dim if concat else out_dim
        self.lin = nn.Linear(in_dim, heads * out_dim, bias=False)
        self.att_src = nn.Parameter(torch.empty(1, heads, out_dim))
        self.att_dst = nn.Parameter(torch.empty(1, heads, out_dim))
        self.bias = nn.Parameter(torch.empty(self.total_out)) if bias else None
        if residual:
            self.res = nn.Identity() if in_dim == self.total_out else nn.Linear(in_dim, self.total_out, bias=False)
        else:
            self.res = None
        self.reset_parameters()

    def reset_parameters(self) -> None:
        # GraphMAE/DGL initialisation: Xavier normal with the ReLU gain.
        gain = nn.init.calculate_gain("relu")
        nn.init.xavier_normal_(self.lin.weight, gain=gain)
        nn.init.xavier_normal_(self.att_src, gain=gain)
        nn.init.xavier_normal_(self.att_dst, gain=gain)
        if self.bias is not None:
            nn.init.zeros_(self.bias)
        if isinstance(self.res, nn.Linear):
            nn.init.xavier_normal_(self.res.weight, gain=gain)

    def forward(self, graph: GraphLike, x: Tensor, return_attention: bool = False):
        """Apply the layer.

        Args:
            graph: square graph, Block (``num_src_nodes >= num_dst_nodes``) or GraphBatch.
            x: ``[num_src_nodes, in_dim]``.
            return_attention: also return ``(graph_used, alpha [E', heads])``, the graph
                after adding self-loops and its attention coefficients in CSR edge order.

        Raises:
            ValueError: wrong feature width, rows or device.
        """
        graph = check_layer_input(graph, x, "GATConv")
        if x.size(1) != self.in_dim:
            raise ValueError(f"GATConv expects {self.in_dim} input features, got {x.size(1)}")
        g = with_self_loops(graph) if self.add_self_loops else graph
        n_dst, H, D = g.num_dst_nodes, self.heads, self.out_dim
        x = dropout(x, self.feat_drop, self.training)
        h = input_linear(x, self.lin.weight).view(-1, H, D)
        if mostly_zero(x):  # a second CSR conversion of x would cost more than the fold saves
            a_src = (h * self.att_src).sum(-1)  # [N_src, H]
            a_dst = (h[:n_dst] * self.att_dst).sum(-1)  # [N_dst, H]
        else:
            a_src, a_dst = self._attention_logits(x, n_dst)
        if not return_attention and not (self.training and self.attn_drop > 0):
            # The weights themselves are not needed: one fused pass over each row where
            # the backend has a kernel for it (Triton), the unfused ops otherwise.
            out = gat_aggregate(g, h, a_src, a_dst, self.negative_slope)  # [N_dst, H, D]
        else:
            # e_st = a_dst[t] + a_src[s] as one SDDMM: <[a_dst, 1], [1, a_src]> per head.
            ones_src, ones_dst = torch.ones_like(a_src), torch.ones_like(a_dst)
            e = sddmm(g, torch.stack([a_dst, ones_dst], -1), torch.stack([ones_src, a_src], -1))  # [E, H]
            alpha = edge_softmax(g, F.leaky_relu(e, self.negative_slope))
            alpha_used = dropout(alpha, self.attn_drop, self.training)
            out = spmm(g, h, "sum", edge_weight=alpha_used)  # [N_dst, H, D]
        out = out.reshape(n_dst, H * D) if self.concat else out.mean(1)
        if self.res is not None:
            out = out + self.res(x[:n_dst])
        if self.bias is not None:
            out = out + self.bias
        if return_attention:
            return out, (g, alpha)
        return out

    def _attention_logits(self, x: Tensor, n_dst: int):
        """``(a_src [N_src, H], a_dst [N_dst, H])``, the heads' ``a . W x``.

        Computed as ``x (W^T a)``: the attention vectors are folded into the weight first
        (a ``[in_dim, 2H]`` matrix), so the logits are one thin product over ``x`` instead of
        elementwise passes over the ``[N, H, D]`` projection, forward and backward (on
        PubMed's 1024-wide GraphMAE layers that saves about 10% of a step on the CPU).
        """
        H, D = self.heads, self.out_dim
        att = torch.cat([self.att_src, self.att_dst], 0)  # [2, H, D]
        folded = torch.einsum("hdi,khd->ikh", self.lin.weight.view(H, D, -1), att).reshape(-1, 2 * H)
        logits = input_linear(x, folded.t()).view(-1, 2, H)
        return logits[:, 0], logits[:n_dst, 1]

    def extra_repr(self) -> str:
        return (f"{self.in_dim}, {self.out_dim}, heads={self.heads}, concat={self.concat}, "
                f"attn_drop={self.attn_drop}, feat_drop={self.feat_drop}, "
                f"residual={self.res is not None}, add_self_loops={self.add_self_loops}")
