"""graphssl/rec/epoch_timing.py: interleaved per-step timing extrapolated to an epoch."""
import pytest

from graphssl.rec import EpochTiming, time_epochs


def test_time_epochs_interleaves_and_extrapolates(small):
    res = time_epochs(small, ["lightgcn", "simgcl", "sgl"], steps=2, rounds=2, warmup=1)
    assert list(res) == ["lightgcn", "simgcl", "sgl"]
    for t in res.values():
        assert isinstance(t, EpochTiming)
        assert len(t.step_seconds) == len(t.step_cpu_seconds) == 2 and t.measured_steps == 4
        assert t.steps_per_epoch >= 1 and t.epoch_work_seconds >= 0
        assert t.seconds_per_epoch() >= t.seconds_per_epoch("min") > 0
        assert t.cpu_seconds_per_epoch() > 0
    with pytest.raises(ValueError, match="stat"):
        res["sgl"].seconds_per_epoch("mean")


def test_time_epochs_rejects_bad_settings(small):
    with pytest.raises(ValueError, match="at least one"):
        time_epochs(small, [])
    with pytest.raises(ValueError, match="steps and rounds"):
        time_epochs(small, ["lightgcn"], steps=0)
    with pytest.raises(ValueError, match="unknown model"):
        time_epochs(small, ["nope"])
