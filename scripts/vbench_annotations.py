"""Write aigve annotations for VBench's prompt suite or custom videos; see :mod:`aigve.tools.vbench_annotations`.

    python scripts/vbench_annotations.py VIDEOS --full-info VBench_full_info.json --out-dir ann/
"""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout without installing

from aigve.tools.vbench_annotations import main


def _main() -> int:
    from aigve.utils.errors import report_errors
    return report_errors('vbench_annotations', main)


if __name__ == '__main__':
    sys.exit(_main())
