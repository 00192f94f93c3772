"""VLM- and LLM-judged text-to-video metrics: VIEScore, TIFA, DSG (backends in :mod:`aigve.models.judges`).

``aigve.metrics`` imports every ``*_metric`` module below this package, so nothing is imported here; the judge
backends load their libraries (httpx, transformers) only when built.
"""
