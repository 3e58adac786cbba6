"""The Triton backend against the torch reference backend.

Without a GPU the kernels run on CPU tensors through Triton's interpreter: this module
sets ``TRITON_INTERPRET=1`` before the kernels are first imported (it stays set for the
rest of the session; only triton reads it, and automatic backend selection on CPU never
picks triton). With a GPU the same tests run compiled, on CUDA tensors. The interpreter
is slow, so graphs are small: a dozen target rows, one of them empty and one with more
edges than any kernel's edge block (70), sources not a power of two.
"""
import os
import subprocess
import sys

import pytest
import torch

if not torch.cuda.is_available():
    os.environ["TRITON_INTERPRET"] = "1"  # before the first import of the kernels

pytest.importorskip("triton", reason="triton is not installed (pip install graphssl[triton])")

from graphssl.sparse import Graph, edge_softmax, get_backend, register_backend, sddmm, spmm, use_backend  # noqa: E402
from graphssl.sparse.backends.triton import TritonBackend  # noqa: E402
from graphssl.sparse.backends.triton.tiling import edge_tiles, feature_tiles, head_tiles, next_pow2  # noqa: E402
from graphssl.sparse.ops import gat_aggregate  # noqa: E402

DEVICE = "cuda" if torch.cuda.is_available() else "cpu"


def _triton_has_cuda_backend() -> bool:
    try:
        from triton.backends import backends
    except ImportError:
        return False
    return "nvidia" in backends
# An earlier import may have found triton unusable (no GPU, TRITON_INTERPRET unset) and
# cached that; register again so the backend is built now, in the mode set above.
register_backend("triton", TritonBackend)


def _usable() -> str:
    try:
        with use_backend("triton"):
            get_backend(torch.empty(0, device=DEVICE))
    except (ImportError, ValueError) as e:
        return f"triton backend cannot run on {DEVICE} here ({e}); run this file on its own"
    return ""


_REASON = _usable()
needs_triton = pytest.mark.skipif(bool(_REASON), reason=_REASON or "-")


# ---------------------------------------------------------------------------- helpers
def _graph(num_dst: int = 12, num_src: int = 15, seed: int = 0, hub: int = 70) -> Graph:
    """Random CSR: row 0 empty, row 2 with ``hub`` edges, the last row empty."""
    g = torch.Generator().manual_seed(seed)
    deg = torch.randint(0, 5, (num_dst,), generator=g)
    deg[0] = 0
    deg[-1] = 0
    deg[2] = hub
    rowptr = torch.zeros(num_dst + 1, dtype=torch.long)
    rowptr[1:] = deg.cumsum(0)
    col = torch.randint(0, num_src, (int(rowptr[-1]),), generator=g)
    return Graph(rowptr, col, num_src_nodes=num_src).to(DEVICE)


def _rand(*shape, seed: int = 0, dtype=torch.float32) -> torch.Tensor:
    return torch.randn(*shape, generator=torch.Generator().manual_seed(seed)).to(DEVICE, dtype)


def _run(backend: str, fn, *inputs):
    """``fn(*inputs)`` under ``backend``, with the gradients of a fixed random projection."""
    leaves = [t.detach().clone().requires_grad_(t.is_floating_point()) if t is not None else None for t in inputs]
    with use_backend(backend):
        out = fn(*leaves)
        out.backward(_rand(*out.shape, seed=99, dtype=out.dtype))
    return out.detach(), [t.grad if t is not None else None for t in leaves]


def _backend(name: str):
    with use_backend(name):
        return get_backend(torch.empty(0, device=DEVICE))


def _close(a, b, tol=1e-5):
    torch.testing.assert_close(a, b, rtol=tol, atol=tol)


def _weights(kind, E, H, seed=3):
    if kind is None:
        return None
    return _rand(E, 1 if kind == "edge" else H, seed=seed).abs() + 0.1


# ---------------------------------------------------------------------------- tiling (pure Python)
def test_tiles_are_powers_of_two_within_limits():
    assert [next_pow2(n) for n in (0, 1, 2, 3, 17, 64, 65)] == [1, 1, 2, 4, 32, 64, 128]
    for width in (1, 3, 17, 64, 128, 300, 4096):
        be, bf, warps = feature_tiles(width)
        assert bf == next_pow2(bf) and be == next_pow2(be) and bf <= 256 and be * bf <= 2048 * 4
        assert warps in (1, 2, 4)
    for heads, dim in ((1, 1), (8, 8), (4, 17), (1, 300)):
        be, bh, bd, _ = head_tiles(heads, dim)
        assert bh * bd <= 128 and bh <= next_pow2(heads) and bd <= next_pow2(dim)
    assert edge_tiles(3)[1] == 4


# ---------------------------------------------------------------------------- forward
@needs_triton
@pytest.mark.parametrize("H,D", [(1, 1), (1, 3), (1, 17), (1, 64), (2, 8)])
@pytest.mark.parametrize("weights", [None, "edge", "head"])
def test_spmm_forward_matches_torch(H, D, weights):
    g = _graph(seed=H * 7 + D)
    x = _rand(g.num_src_nodes, H, D, seed=1)
    w = _weights(weights, g.num_edges, H)
    for reduce in ("sum", "mean", "max", "min"):
        with use_backend("torch"):
            ref = spmm(g, x, reduce, w)
        with use_backend("triton"):
            out = spmm(g, x, reduce, w)
        _close(out, ref)
        assert bool((out[0] == 0).all()) and bool((out[-1] == 0).all())  # empty rows


@needs_triton
def test_spmm_max_returns_first_winning_edge():
    g = _graph(seed=5)
    x = torch.randint(-2, 3, (g.num_src_nodes, 2, 3)).float().to(DEVICE)  # few values: many ties
    tb, rb = _backend("triton"), _backend("torch")
    for minimum in (False, True):
        out, arg = tb.spmm_max(g.rowptr, g.col, None, x, minimum)
        ref_out, ref_arg = rb.spmm_max(g.rowptr, g.col, None, x, minimum)
        assert torch.equal(out, ref_out) and torch.equal(arg, ref_arg)
        assert bool((arg[0] == -1).all())


@needs_triton
@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
def test_half_precision_accumulates_in_float32(dtype):
    g = _graph(seed=11)
    x = _rand(g.num_src_nodes, 2, 17, seed=2, dtype=dtype)
    w = _weights("head", g.num_edges, 2).to(dtype)
    with use_backend("triton"):
        out = spmm(g, x, "sum", w)
        mx = spmm(g, x, "max", w)
        dots = sddmm(g, _rand(g.num_dst_nodes, 2, 17, seed=4, dtype=dtype), x)
    assert out.dtype == dtype and mx.dtype == dtype
    with use_backend("torch"):
        exact = spmm(g, x.float(), "sum", w.float())  # float32 from the same rounded inputs
        ref_max = spmm(g, x, "max", w)  # messages rounded to dtype, as the kernel does
        ref_dots = sddmm(g, _rand(g.num_dst_nodes, 2, 17, seed=4, dtype=dtype).float(), x.float())
    # One rounding of the float32 sum: within the dtype's resolution of the exact value.
    eps = torch.finfo(dtype).eps
    torch.testing.assert_close(out.float(), exact, rtol=eps, atol=eps * exact.abs().max().item())
    if dtype == torch.bfloat16 and DEVICE == "cpu":
        # Triton's interpreter truncates float32 -> bfloat16 (a GPU rounds to nearest
        # even, as torch does), so a rounded message may differ by one unit.
        torch.testing.assert_close(mx, ref_max, rtol=eps, atol=0)
    else:
        assert torch.equal(mx, ref_max)
    torch.testing.assert_close(dots.float(), ref_dots, rtol=eps, atol=eps * ref_dots.abs().max().item())


@needs_triton
@pytest.mark.parametrize("H,D", [(1, 1), (1, 17), (4, 8), (1, 64)])
def test_sddmm_and_softmax_match_torch(H, D):
    g = _graph(num_dst=10, num_src=13, seed=D)
    a, b = _rand(g.num_dst_nodes, H, D, seed=1), _rand(g.num_src_nodes, H, D, seed=2)
    scores = 3 * _rand(g.num_edges, H, seed=3)
    fn = lambda a, b, s: sddmm(g, a, b) * edge_softmax(g, s)  # noqa: E731
    out, grads = _run("triton", fn, a, b, scores)
    ref, ref_grads = _run("torch", fn, a, b, scores)
    _close(out, ref)
    for got, want in zip(grads, ref_grads):
        _close(got, want)


@needs_triton
@pytest.mark.filterwarnings("ignore:invalid value:RuntimeWarning")  # inf - inf in the interpreter, as in torch
def test_softmax_of_masked_scores_matches_torch():
    rowptr = torch.tensor([0, 3, 5, 5, 6], device=DEVICE)
    s = torch.tensor([[0.5], [-float("inf")], [2.0], [-float("inf")], [-float("inf")], [1.0]], device=DEVICE)
    torch.testing.assert_close(_backend("triton").segment_softmax(rowptr, s),
                               _backend("torch").segment_softmax(rowptr, s), equal_nan=True)


# ---------------------------------------------------------------------------- gradients
@needs_triton
@pytest.mark.parametrize("reduce", ["sum", "mean", "max"])
@pytest.mark.parametrize("weights", [None, "edge", "head"])
def test_spmm_gradients_match_torch(reduce, weights):
    g = _graph(num_dst=9, num_src=11, seed=2)
    x = _rand(g.num_src_nodes, 2, 5, seed=1)
    w = _weights(weights, g.num_edges, 2)
    out, grads = _run("triton", lambda x, w: spmm(g, x, reduce, w), x, w)
    ref, ref_grads = _run("torch", lambda x, w: spmm(g, x, reduce, w), x, w)
    _close(out, ref)
    for got, want in zip(grads, ref_grads):
        if want is None:
            assert got is None
        else:
            _close(got, want)


# ---------------------------------------------------------------------------- fused GAT
@needs_triton
@pytest.mark.parametrize("H,D,num_src", [(1, 3, 15), (2, 17, 15), (4, 8, 12), (1, 64, 20)])
def test_fused_gat_matches_unfused_reference(H, D, num_src):
    g = _graph(num_dst=12, num_src=num_src, seed=H + D)  # (4, 8, 12) is square, others bipartite
    x = _rand(num_src, H, D, seed=1)
    a_src, a_dst = _rand(num_src, H, seed=2), _rand(g.num_dst_nodes, H, seed=3)
    fn = lambda x, s, d: gat_aggregate(g, x, s, d, negative_slope=0.2)  # noqa: E731
    out, grads = _run("triton", fn, x, a_src, a_dst)
    ref, ref_grads = _run("torch", fn, x, a_src, a_dst)
    _close(out, ref)
    assert bool((out[0] == 0).all())
    for got, want in zip(grads, ref_grads):
        _close(got, want)


@needs_triton
def test_fused_gat_gradcheck_in_float64():
    g = _graph(num_dst=5, num_src=6, seed=1, hub=70)  # the hub row spans two edge blocks
    x = _rand(6, 2, 3, seed=1, dtype=torch.float64).requires_grad_()
    a_src = _rand(6, 2, seed=2, dtype=torch.float64).requires_grad_()
    a_dst = _rand(5, 2, seed=3, dtype=torch.float64).requires_grad_()
    with use_backend("triton"):
        # fast mode (random projections): a full Jacobian takes too many interpreted launches
        assert torch.autograd.gradcheck(lambda x, s, d: gat_aggregate(g, x, s, d, 0.2), (x, a_src, a_dst),
                                        fast_mode=True)


@needs_triton
def test_fused_gat_half_precision_and_no_edges():
    g = _graph(seed=8)
    x = _rand(g.num_src_nodes, 2, 8, seed=1, dtype=torch.bfloat16)
    a_src, a_dst = _rand(g.num_src_nodes, 2, seed=2), _rand(g.num_dst_nodes, 2, seed=3)
    with use_backend("triton"):
        out = gat_aggregate(g, x, a_src, a_dst)
    with use_backend("torch"):
        ref = gat_aggregate(g, x.float(), a_src, a_dst)
    assert out.dtype == torch.bfloat16
    eps = torch.finfo(torch.bfloat16).eps
    torch.testing.assert_close(out.float(), ref, rtol=2 * eps, atol=2 * eps * ref.abs().max().item())
    empty = Graph(torch.zeros(4, dtype=torch.long), torch.zeros(0, dtype=torch.long), num_src_nodes=5).to(DEVICE)
    xs = _rand(5, 3, seed=4).requires_grad_()
    with use_backend("triton"):
        y = gat_aggregate(empty, xs, _rand(5, seed=5), _rand(3, seed=6))
        y.sum().backward()
    assert torch.equal(y, torch.zeros(3, 3, device=DEVICE)) and torch.equal(xs.grad, torch.zeros_like(xs))


@needs_triton
def test_gat_conv_uses_the_fused_op_and_matches_torch():
    from graphssl.nn import GATConv

    g = _graph(num_dst=12, num_src=12, seed=4)
    torch.manual_seed(0)
    conv = GATConv(6, 5, heads=2, residual=True).to(DEVICE)
    x = _rand(12, 6, seed=1)
    results = {}
    for name in ("triton", "torch"):
        conv.zero_grad(set_to_none=True)
        out, grads = _run(name, lambda x: conv(g, x), x)
        results[name] = [out, grads[0]] + [p.grad.clone() for p in conv.parameters()]
    for got, want in zip(results["triton"], results["torch"]):
        _close(got, want)


# ---------------------------------------------------------------------------- selection
@needs_triton
def test_backend_selection():
    tb = _backend("triton")
    assert tb.has_fused_gat and tb.supports(torch.device(DEVICE), torch.bfloat16)
    assert tb.supports(torch.device(DEVICE), torch.float64) and not tb.supports(torch.device(DEVICE), torch.int32)
    with use_backend("triton"), pytest.raises(ValueError, match="triton"):
        get_backend(torch.zeros(1, dtype=torch.int32, device=DEVICE))
    if DEVICE == "cpu":  # automatic selection on CPU never picks the interpreter
        assert tb.interpreted and get_backend(torch.zeros(1)).name != "triton"
    else:  # on CUDA it is the automatic choice
        assert get_backend(torch.zeros(1, device="cuda")).name == "triton"


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the CPU-only machine's behaviour")
def test_without_gpu_or_interpreter_triton_is_unavailable_and_not_imported():
    code = ("import sys\nfrom graphssl.sparse import available_backends, use_backend\n"
            "assert 'triton' not in available_backends()\n"
            "try:\n    use_backend('triton')\nexcept ImportError as e:\n    print(e)\n"
            "assert 'triton' not in sys.modules, 'triton imported: a later TRITON_INTERPRET=1 could not work'\n")
    env = {k: v for k, v in os.environ.items() if k != "TRITON_INTERPRET"}
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "needs a CUDA GPU" in proc.stdout and "TRITON_INTERPRET=1" in proc.stdout


# Compiles (no launch) one variant of every kernel for an H100 (sm_90) in a fresh process
# without TRITON_INTERPRET: catches what the lenient interpreter accepts but the compiler
# rejects. Needs only triton's bundled CUDA toolchain, no GPU.
_COMPILE = """
import triton
from triton.backends.compiler import GPUTarget
from triton.compiler import ASTSource
from graphssl.sparse.backends.triton import gat, sddmm, softmax, spmm
from graphssl.sparse.backends.triton.tiling import edge_tiles, feature_tiles, head_tiles, launch_options
C, I, P, F32 = "constexpr", "i32", "*i64", triton.language.float32
be, bf, w = feature_tiles(17)
spmm_sig = dict(rowptr_ptr=P, col_ptr=P, val_ptr="*fp32", x_ptr="*bf16", out_ptr="*bf16")
spmm_c = dict(HAS_VALUE=True, PER_HEAD=True, ACC=F32, BLOCK_E=be, BLOCK_F=bf)
kernels = [
    (spmm._spmm_sum_kernel, dict(spmm_sig, F=I, D=I, HV=I, HAS_VALUE=C, PER_HEAD=C, ACC=C, BLOCK_E=C, BLOCK_F=C),
     spmm_c, w),
    (spmm._spmm_max_kernel, dict(spmm_sig, arg_ptr=P, F=I, D=I, HV=I, HAS_VALUE=C, PER_HEAD=C, MINIMUM=C,
                                 ACC=C, BLOCK_E=C, BLOCK_F=C), dict(spmm_c, MINIMUM=True), w),
]
be, bh, bd, w = head_tiles(4, 17)
kernels.append((sddmm._sddmm_kernel, dict(rowptr_ptr=P, col_ptr=P, a_ptr="*fp64", b_ptr="*fp64", out_ptr="*fp64", H=I,
                D=I, ACC=C, BLOCK_E=C, BLOCK_H=C, BLOCK_D=C),
                dict(ACC=triton.language.float64, BLOCK_E=be, BLOCK_H=bh, BLOCK_D=bd), w))
kernels.append((gat._gat_kernel, dict(rowptr_ptr=P, col_ptr=P, x_ptr="*fp16", asrc_ptr="*fp16", adst_ptr="*fp16",
                out_ptr="*fp16", lse_ptr="*fp32", H=I, D=I, slope="fp32", ACC=C, BLOCK_E=C, BLOCK_H=C, BLOCK_D=C),
                dict(ACC=F32, BLOCK_E=be, BLOCK_H=bh, BLOCK_D=bd), w))
be, bh, w = edge_tiles(3)
kernels.append((softmax._segment_softmax_kernel, dict(rowptr_ptr=P, s_ptr="*fp32", out_ptr="*fp32", H=I, ACC=C,
                BLOCK_E=C, BLOCK_H=C), dict(ACC=F32, BLOCK_E=be, BLOCK_H=bh), w))
kernels.append((softmax._segment_softmax_backward_kernel, dict(rowptr_ptr=P, o_ptr="*fp32", g_ptr="*bf16",
                out_ptr="*fp32", H=I, ACC=C, BLOCK_E=C, BLOCK_H=C), dict(ACC=F32, BLOCK_E=be, BLOCK_H=bh), w))
for fn, sig, consts, warps in kernels:
    triton.compile(ASTSource(fn=fn, signature=sig, constexprs=consts), target=GPUTarget("cuda", 90, 32),
                   options=launch_options(warps))
print("compiled", len(kernels))
"""


@pytest.mark.skipif(not _triton_has_cuda_backend(), reason="this triton build has no CUDA compiler backend")
def test_kernels_compile_for_a_real_gpu():
    env = {k: v for k, v in os.environ.items() if k != "TRITON_INTERPRET"}
    proc = subprocess.run([sys.executable, "-c", _COMPILE], capture_output=True, text=True, env=env, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "compiled 6" in proc.stdout
