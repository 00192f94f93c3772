"""Helpers behind the scripts: pairing generated and reference videos, writing run configs."""
