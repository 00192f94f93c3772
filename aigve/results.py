"""Results of aigve runs as pandas DataFrames: ``aigve.results.load('work_dirs/x/results.json')``.

.. code-block:: python

    import aigve.results
    df = aigve.results.load('work_dirs/clip_sim/results.json', ann_file='AIGVE-Bench/annotations/test.json')
    df[['video', 'clip_sim/clip_sim', 'meta.overall']].corr(method='spearman', numeric_only=True)
    df.attrs['metrics'], df.attrs['provenance']

One row per video (scored or failed): ``video``, one column per score, ``failure`` (reasons, or None) and
``meta.<key>`` columns (the annotation's other keys: human ratings, groupings). See :mod:`aigve.tools.export`.
"""
from __future__ import annotations

from aigve.tools.export import ResultsError, load, read_results

__all__ = ['load', 'read_results', 'ResultsError']
