"""Evaluate a config: ``python main_aigve.py CONFIG [--work-dir DIR] [--out FILE] [--cfg-options K=V ...]
[--launcher none|pytorch|slurm] [--strict]`` (the same as ``aigve run CONFIG ...``)."""
import sys

from aigve.cli import main

if __name__ == '__main__':
    sys.exit(main(['run', *sys.argv[1:]]))
