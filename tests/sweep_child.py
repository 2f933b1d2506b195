"""Child process of the Dask resume test: run the test's sweep on a 2-worker LocalCluster.

Usage: ``python sweep_child.py DATA_DIR``. The parent kills this process's whole group (client,
scheduler and workers) with SIGKILL once some cells are written. The data are SYNTHETIC.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from test_parallel import SWEEP, synthetic

import ct_helpers as ct

if __name__ == "__main__":
    ct.run_sweep(synthetic(), data_dir=sys.argv[1], n_workers=2, **SWEEP)
