"""Runs tessera's pytest suite for ctest (python.pytest).

Exit 77 (ctest: Skipped, never Passed) when pytest or numpy is missing, or when any test
skipped (its data is absent); otherwise pytest's own exit code. Arguments go to pytest.
"""
import sys

try:
    import numpy  # noqa: F401
    import pytest
except ImportError as e:  # pragma: no cover - depends on the machine
    print(f"python.pytest: SKIPPED: {e} (install python3-pytest python3-numpy)")
    sys.exit(77)


class _Skips:
    def __init__(self):
        self.reasons = []

    def pytest_runtest_logreport(self, report):
        if report.skipped:
            self.reasons.append(f"{report.nodeid}: {report.longrepr[-1] if isinstance(report.longrepr, tuple) else report.longrepr}")


skips = _Skips()
code = pytest.main(sys.argv[1:], plugins=[skips])
if code == 0 and skips.reasons:
    print("python.pytest: SKIPPED tests (exit 77):")
    for r in skips.reasons:
        print("  " + r)
    sys.exit(77)
sys.exit(int(code))
