"""examples/python/terrain.py (included in docs/python.md) runs and agrees with numpy."""
import os
import re
import subprocess
import sys

import numpy as np

from conftest import SOURCE_DIR

SCRIPT = os.path.join(SOURCE_DIR, "examples", "python", "terrain.py")
DATA = os.path.join(SOURCE_DIR, "examples", "data", "glove100d_top10k.npy")


def test_terrain_example_matches_numpy():
    env = dict(os.environ, TESSERA_SOURCE_DIR=SOURCE_DIR)
    out = subprocess.run([sys.executable, SCRIPT], env=env, check=True, capture_output=True, text=True).stdout
    A = np.load(DATA).astype(np.float64)
    norms = np.linalg.norm(A, axis=1)
    ev = np.sort(np.linalg.eigvalsh(np.cov(A.T)))[::-1]
    pr = ev.sum() ** 2 / (ev ** 2).sum()
    dims90 = int(np.argmax(np.cumsum(ev) / ev.sum() >= 0.9)) + 1
    sv = np.linalg.svd(A, compute_uv=False)
    m = re.search(r"^(\d+) x (\d+)  row norm ([\d.]+) \+- ([\d.]+)$", out, re.M)
    assert m and (int(m[1]), int(m[2])) == A.shape
    assert float(m[3]) == round(norms.mean(), 3) and float(m[4]) == round(norms.std(), 3)
    m = re.search(r"participation ratio ([\d.]+) .*dims for 90% variance (\d+)  \[ok\]", out)
    assert m and float(m[1]) == round(pr, 1) and int(m[2]) == dims90
    m = re.search(r"stable rank ([\d.]+),", out)
    assert m and float(m[1]) == round((sv ** 2).sum() / sv[0] ** 2, 2)
    m = re.search(r"pentachoron volume CV ([\d.]+) vs Gaussian ([\d.]+)", out)
    # seed 001: GloVe's pentachoron volumes vary far more than Gaussian points' of the same spread.
    assert m and float(m[1]) > 1.5 * float(m[2])
