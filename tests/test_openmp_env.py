import os
import subprocess
import sys

from graphssl.openmp_env import SPIN_COUNT, set_spin_default


def test_sets_the_spin_count_only_when_the_user_set_nothing():
    env = {}
    assert set_spin_default(env) and env == {"GOMP_SPINCOUNT": str(SPIN_COUNT)}
    for mine in ({"GOMP_SPINCOUNT": "5"}, {"OMP_WAIT_POLICY": "PASSIVE"}):
        env = dict(mine)
        assert not set_spin_default(env) and env == mine


def test_importing_graphssl_sets_it_before_torch_loads():
    code = "import os, sys, graphssl; print(os.environ.get('GOMP_SPINCOUNT'), 'torch' in sys.modules)"
    env = {k: v for k, v in os.environ.items() if k not in ("GOMP_SPINCOUNT", "OMP_WAIT_POLICY")}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-1000:]
    assert out.stdout.split() == [str(SPIN_COUNT), "True"]
    env["OMP_WAIT_POLICY"] = "PASSIVE"
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert out.stdout.split()[0] == "None"
