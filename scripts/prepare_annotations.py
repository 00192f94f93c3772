"""Pair generated and reference videos in a folder, write the annotation, optionally stage and evaluate.

``python scripts/prepare_annotations.py --help`` lists the options; the logic lives in
:mod:`aigve.tools.prepare_annotations` and :mod:`aigve.tools.pairing`.
"""
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout without installing

from aigve.tools.prepare_annotations import main


def _main() -> int:
    try:
        return main()
    except (FileNotFoundError, FileExistsError, KeyError, ValueError) as e:
        if os.environ.get('AIGVE_DEBUG'):
            raise
        message = str(e.args[0]) if isinstance(e, KeyError) and e.args else str(e)
        print(f'prepare_annotations: error: {message}', file=sys.stderr)
        return 1


if __name__ == '__main__':
    sys.exit(_main())
