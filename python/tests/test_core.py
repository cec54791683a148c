"""The binding plumbing: package layout, Status, exceptions, dtype dispatch, zero copy."""
import numpy as np
import pytest

import tessera
from tessera import simplex, spectral, stats


def test_package_layout():
    for name in ("simplex", "spectral", "projection", "stats", "io", "tt", "ternary", "align", "compress", "model", "stream"):
        assert hasattr(tessera, name)
    import tessera.spectral as sp  # noqa: F401  (submodules import by dotted name too)
    from tessera.stats import knn  # noqa: F401
    assert isinstance(tessera.__version__, str) and tessera.__version__.count(".") == 2


def test_status_object():
    r = simplex.report_volume(simplex.regular_simplex(3, 3))
    assert isinstance(r.status, tessera.Status)
    assert r.status.ok and bool(r.status) and r.status == "ok" and r.status == tessera.StatusCode.ok
    assert str(r.status) == "ok" and r.status.message == ""
    flat = np.array([[0.0, 0.0], [1.0, 0.0], [2.0, 1e-12]])
    s = simplex.report_volume(flat).status
    assert not s.ok and s.code in (tessera.StatusCode.degenerate, tessera.StatusCode.accuracy_limited)
    assert s.message and "Status(" in repr(s)


def test_value_error_names_function_and_parameter():
    with pytest.raises(ValueError, match=r"spectral::truncated_svd: rank=9 exceeds min\(rows, cols\)=3"):
        spectral.truncated_svd(np.ones((5, 3)), 9)
    with pytest.raises(ValueError, match=r"simplex::volume: points must have 2 dimension\(s\), got shape \(3,\)"):
        simplex.volume(np.ones(3))
    with pytest.raises(ValueError, match=r"spectral::truncated_svd: method='fast' must be one of 'automatic'"):
        spectral.truncated_svd(np.ones((5, 3)), 1, method="fast")
    with pytest.raises(ValueError, match=r"stats::row_norms: X must be finite"):
        stats.row_norms(np.array([[1.0, np.nan]]))


def test_os_error_names_file(tmp_path):
    missing = str(tmp_path / "none.npy")
    with pytest.raises(OSError, match="none.npy"):
        tessera.io.read_npy(missing)
    bad = tmp_path / "bad.npy"
    bad.write_bytes(b"\x93NUMPY\x01\x00garbage")
    with pytest.raises(OSError, match="bad.npy: byte"):
        tessera.io.read_npy(str(bad))


def test_dtype_dispatch():
    X = np.random.default_rng(0).standard_normal((20, 4))
    assert stats.row_norms(X.astype(np.float32)).dtype == np.float32
    assert stats.row_norms(X).dtype == np.float64
    # Other dtypes (ints, float16, lists) are converted to float64.
    assert stats.row_norms(X.astype(np.float16)).dtype == np.float64
    assert stats.row_norms(np.arange(6).reshape(3, 2)).dtype == np.float64
    np.testing.assert_allclose(stats.row_norms([[3, 4], [6, 8]]), [5.0, 10.0])
    # Non-contiguous input is copied to a contiguous array first: same answer.
    np.testing.assert_allclose(stats.row_norms(X[::2, ::2]), np.linalg.norm(X[::2, ::2], axis=1), rtol=1e-12)
    np.testing.assert_allclose(stats.row_norms(np.asfortranarray(X)), np.linalg.norm(X, axis=1), rtol=1e-12)


def test_outputs_are_owned_views_without_copy():
    X = np.random.default_rng(1).standard_normal((50, 8))
    n = stats.row_norms(X)
    # to_numpy: the array views the moved C++ tensor, owned by a capsule (base), writable.
    assert n.base is not None and type(n.base).__name__ == "PyCapsule" and n.flags.writeable
    idx = simplex.sample_simplices(50, 3, 10, seed=1)
    r = simplex.simplex_volumes(X, idx)
    v1, v2 = r.volume, r.volume
    # Result properties are read-only views of the result object's memory: no copy per access.
    assert np.shares_memory(v1, v2) and not v1.flags.writeable
    del r
    assert np.all(np.isfinite(v1))  # the view keeps the result alive


def test_gil_released_in_long_calls():
    """While truncated_svd runs (GIL released), a Python thread keeps running: it records
    timestamps inside the central half of the call. With the GIL held it could only run at the
    call's edges (between bytecodes), never in the middle of the C++ computation."""
    import threading
    import time
    X = np.random.default_rng(2).standard_normal((6000, 400)).astype(np.float32)
    stop, stamps = threading.Event(), []

    def ticker():
        while not stop.is_set():
            stamps.append(time.perf_counter())

    t = threading.Thread(target=ticker)
    t.start()
    try:
        t0 = time.perf_counter()
        spectral.truncated_svd(X, 10, method="exact")
        t1 = time.perf_counter()
    finally:
        stop.set()
        t.join()
    q = (t1 - t0) / 4
    inside = sum(1 for s in stamps if t0 + q < s < t1 - q)
    assert inside > 0, f"no Python ran during the middle {2 * q:.3f} s of a {t1 - t0:.3f} s call"


def _public(obj):
    return {n for n in dir(obj) if not n.startswith("_")}


def test_stubs_and_docs_cover_every_public_name():
    """Each submodule with a stub python/tessera/<module>.pyi: the stub declares exactly the
    module's public names (classes: their public members too) and docs/python.md names each."""
    import ast
    import os
    from conftest import SOURCE_DIR
    doc = open(os.path.join(SOURCE_DIR, "docs", "python.md")).read()
    checked = 0
    for name in ("simplex", "spectral", "projection", "stats", "io", "compress", "stream"):
        stub = os.path.join(SOURCE_DIR, "python", "tessera", f"{name}.pyi")
        mod = getattr(tessera, name)
        tree = ast.parse(open(stub).read())
        declared = {}
        for node in tree.body:
            if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
                members = set()
                if isinstance(node, ast.ClassDef):
                    for b in node.body:
                        if isinstance(b, ast.FunctionDef):
                            members.add(b.name)
                        elif isinstance(b, ast.AnnAssign):
                            members.add(b.target.id)
                declared[node.name] = {m for m in members if not m.startswith("_")}
        assert set(declared) == _public(mod), f"{name}.pyi vs tessera.{name}"
        for cls, members in declared.items():
            obj = getattr(mod, cls)
            if isinstance(obj, type):
                assert members == _public(obj), f"{name}.pyi: class {cls}"
            assert f"`{cls}" in doc or f"`{cls}(" in doc or f" {cls}" in doc, f"docs/python.md lacks {name}.{cls}"
        checked += 1
    assert checked == 7
