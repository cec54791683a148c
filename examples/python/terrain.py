"""The seeds' embedding terrain (seed 001) from Python: norms, cosines, eigenspectrum, pentachora."""
import os
import sys

import numpy as np
import tessera as ts

root = os.environ.get("TESSERA_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "..", ".."))
path = sys.argv[1] if len(sys.argv) > 1 else os.path.join(root, "examples", "data", "glove100d_top10k.npy")
A = np.load(path, mmap_mode="r").astype(np.float32)  # GloVe 100d, the 10,000 most frequent words

norms = ts.stats.summarize(ts.stats.row_norms(A))
cos = ts.stats.pairwise_cosine(A, count=100_000, seed=0).summary
spec = ts.stats.covariance_spectrum(A)
rep = ts.spectral.spectrum_report(A)
vol = ts.simplex.volume_statistics(A, k=4, count=20_000, seed=0)

print(f"{A.shape[0]} x {A.shape[1]}  row norm {norms.mean:.3f} +- {norms.std:.3f}")
print(f"cosine of random pairs: mean {cos.mean:.3f}, p05 {cos.percentile(5):.3f}, p95 {cos.percentile(95):.3f}")
print(f"participation ratio {spec.participation_ratio:.1f} ({spec.participation_ratio_fraction:.0%} of d), "
      f"dims for 90% variance {spec.dims_90}  [{spec.status}]")
print(f"stable rank {rep.stable_rank:.2f}, effective rank {rep.effective_rank_entropy:.1f}  [{rep.status}]")
print(f"pentachoron volume CV {vol.data.cv:.3f} vs Gaussian {vol.gaussian.cv:.3f}, "
      f"mean volume ratio {vol.mean_ratio:.3f}")
