"""VBench's Quality, Semantic and Total scores from the dimensions' aggregates (``scripts/cal_final_score.py``).

.. math::
    n_d = w_d \\, \\frac{r_d - \\mathrm{Min}_d}{\\mathrm{Max}_d - \\mathrm{Min}_d}, \\qquad
    \\mathrm{Quality} = \\frac{\\sum_{d \\in Q} n_d}{\\sum_{d \\in Q} w_d}, \\qquad
    \\mathrm{Semantic} = \\frac{\\sum_{d \\in S} n_d}{\\sum_{d \\in S} w_d}, \\qquad
    \\mathrm{Total} = \\frac{4\\,\\mathrm{Quality} + 1\\,\\mathrm{Semantic}}{5}

with ``r_d`` the dimension's aggregate in [0, 1] units (imaging quality divided by 100), Min/Max and the
weights ``w_d`` (dynamic degree 0.5, the rest 1) of VBench's ``scripts/constant.py``, no clipping. VBench
counts a missing dimension as 0; here a score is reported only when every one of its dimensions was
computed in the run, and otherwise the run's provenance says which are missing.
"""
from __future__ import annotations

from collections.abc import Mapping

from aigve.core.base_metric import SummaryMetric
from aigve.registry import METRICS

__all__ = ['NORMALIZATION', 'DIMENSION_WEIGHTS', 'QUALITY_DIMENSIONS', 'SEMANTIC_DIMENSIONS', 'QUALITY_WEIGHT',
           'SEMANTIC_WEIGHT', 'normalized_score', 'group_score', 'vbench_scores', 'VBenchScores']

#: VBench ``NORMALIZE_DIC``: dimension -> (Min, Max)
NORMALIZATION: dict[str, tuple[float, float]] = {
    'subject_consistency': (0.1462, 1.0),
    'background_consistency': (0.2615, 1.0),
    'temporal_flickering': (0.6293, 1.0),
    'motion_smoothness': (0.706, 0.9975),
    'dynamic_degree': (0.0, 1.0),
    'aesthetic_quality': (0.0, 1.0),
    'imaging_quality': (0.0, 1.0),
    'object_class': (0.0, 1.0),
    'multiple_objects': (0.0, 1.0),
    'human_action': (0.0, 1.0),
    'color': (0.0, 1.0),
    'spatial_relationship': (0.0, 1.0),
    'scene': (0.0, 0.8222),
    'appearance_style': (0.0009, 0.2855),
    'temporal_style': (0.0, 0.364),
    'overall_consistency': (0.0, 0.364),
}
#: VBench ``DIM_WEIGHT`` (every other dimension weighs 1)
DIMENSION_WEIGHTS: dict[str, float] = {d: (0.5 if d == 'dynamic_degree' else 1.0) for d in NORMALIZATION}
#: VBench ``QUALITY_LIST``
QUALITY_DIMENSIONS = ('subject_consistency', 'background_consistency', 'temporal_flickering', 'motion_smoothness',
                      'aesthetic_quality', 'imaging_quality', 'dynamic_degree')
#: VBench ``SEMANTIC_LIST``
SEMANTIC_DIMENSIONS = ('object_class', 'multiple_objects', 'human_action', 'color', 'spatial_relationship',
                       'scene', 'appearance_style', 'temporal_style', 'overall_consistency')
QUALITY_WEIGHT = 4
SEMANTIC_WEIGHT = 1


def normalized_score(dimension: str, raw: float) -> float:
    """VBench's weighted Min/Max normalisation of one dimension's aggregate (no clipping).

    Examples:
        >>> normalized_score('subject_consistency', 1.0)
        1.0
        >>> normalized_score('dynamic_degree', 1.0)
        0.5
    """
    low, high = NORMALIZATION[dimension]
    return (raw - low) / (high - low) * DIMENSION_WEIGHTS[dimension]


def group_score(raw: Mapping[str, float], dimensions: tuple[str, ...]) -> float:
    """Sum of the normalised scores of ``dimensions`` over the sum of their weights (VBench's Quality/Semantic).

    Raises:
        KeyError: If a dimension of the group has no raw value.
    """
    return sum(normalized_score(d, raw[d]) for d in dimensions) / sum(DIMENSION_WEIGHTS[d] for d in dimensions)


def vbench_scores(raw: Mapping[str, float]) -> tuple[dict[str, float], dict[str, list[str]]]:
    """Quality, Semantic and Total from the dimensions' aggregates ``raw`` (only those computable).

    Returns:
        ``(scores, missing)``: ``scores`` has ``quality_score``, ``semantic_score`` and ``total_score`` where every
        member dimension is in ``raw``; ``missing`` maps each score that could not be made to the dimensions it
        lacks.

    Examples:
        >>> scores, missing = vbench_scores({d: high for d, (low, high) in NORMALIZATION.items()})
        >>> scores, missing
        ({'quality_score': 1.0, 'semantic_score': 1.0, 'total_score': 1.0}, {})
        >>> vbench_scores({'dynamic_degree': 1.0})[1]['quality_score'][:2]
        ['subject_consistency', 'background_consistency']
    """
    groups = dict(quality_score=QUALITY_DIMENSIONS, semantic_score=SEMANTIC_DIMENSIONS)
    scores: dict[str, float] = {}
    missing: dict[str, list[str]] = {}
    for name, dims in groups.items():
        absent = [d for d in dims if d not in raw]
        if absent:
            missing[name] = absent
        else:
            scores[name] = group_score(raw, dims)
    if 'quality_score' in scores and 'semantic_score' in scores:
        scores['total_score'] = ((QUALITY_WEIGHT * scores['quality_score'] + SEMANTIC_WEIGHT * scores['semantic_score'])
                                 / (QUALITY_WEIGHT + SEMANTIC_WEIGHT))
    else:
        missing['total_score'] = missing.get('quality_score', []) + missing.get('semantic_score', [])
    return scores, missing


@METRICS.register_module()
class VBenchScores(SummaryMetric):
    """VBench's Quality, Semantic and Total scores from the dimensions computed in the same run.

    List it in ``val_evaluator`` after the dimension metrics (``configs/vbench.py`` does). It reads each
    dimension's aggregate ``<dimension>/<dimension>`` (override with ``keys``), normalises it with VBench's
    Min/Max table and weights, and reports ``quality_score``, ``semantic_score`` and ``total_score`` (0-1; the
    leaderboard shows them x100) only when every member dimension was computed; the run's provenance
    (``protocol.vbench``) lists what is missing otherwise.

    Args:
        keys: Dimension -> the result key holding its aggregate, for dimensions whose metric has another
            prefix. Defaults to None (``'<dimension>/<dimension>'``).
        device: Unused (nothing is computed on a device). Defaults to ``'cpu'``.
        prefix: Defaults to ``'vbench'``.
    """

    default_prefix = 'vbench'
    score_range = (None, None)  # no clipping, as VBench: outside [0, 1] when a raw value is outside Min/Max

    def __init__(self, keys: Mapping[str, str] | None = None, device: str = 'cpu', prefix: str | None = None,
                 **kwargs) -> None:
        super().__init__(device=device, prefix=prefix, **kwargs)
        unknown = sorted(set(keys or {}) - set(NORMALIZATION))
        if unknown:
            raise ValueError(f'`keys` names unknown VBench dimensions {unknown}; known: {sorted(NORMALIZATION)}')
        self.keys = {d: f'{d}/{d}' for d in NORMALIZATION} | dict(keys or {})

    def summarize(self, metrics: dict[str, float]) -> dict[str, float]:
        raw = {d: float(metrics[key]) for d, key in self.keys.items() if key in metrics}
        scores, missing = vbench_scores(raw)
        self.protocol = dict(dimensions=sorted(raw), missing=missing, normalization='VBench scripts/constant.py')
        return scores
