"""Pair generated and reference videos in a folder, write the annotation, optionally stage and evaluate.

``python scripts/prepare_annotations.py --help`` lists the options; the logic lives in
:mod:`aigve.tools.prepare_annotations` and :mod:`aigve.tools.pairing`.
"""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout without installing

from aigve.tools.prepare_annotations import main


def _main() -> int:
    from aigve.utils.errors import report_errors
    return report_errors('prepare_annotations', main)

if __name__ == '__main__':
    sys.exit(_main())
