"""empty_cpu: numpy-allocated CPU tensors for kernel outputs."""
import pytest
import torch

from graphssl.sparse.host_memory import empty_cpu


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64, torch.int32, torch.int64])
def test_shape_dtype_and_writable(dtype):
    t = empty_cpu((300, 7), dtype)
    assert t.shape == (300, 7) and t.dtype == dtype and t.device.type == "cpu" and t.is_contiguous()
    t.fill_(3)
    assert int(t.sum()) == 3 * 300 * 7
    assert empty_cpu((0, 4), dtype).shape == (0, 4)


def test_rejects_other_dtypes():
    with pytest.raises(ValueError, match="empty_cpu supports"):
        empty_cpu((2, 2), torch.float16)
