"""VIEScore for text-to-video: a VLM judges semantic consistency and perceptual quality of a video's frames.

Paper: Ku et al., "VIEScore: Towards Explainable Metrics for Conditional Image Synthesis Evaluation", ACL 2024.
Code: https://github.com/TIGER-AI-Lab/VIEScore (MIT licence); prompts from commit 2cbea4e (see :mod:`.prompts`).
Our own code: the upstream prompts are reproduced byte for byte; parsing, retries and counting are rewritten.
"""
from .functional import combine, combine_calls, parse_scores
from .viescore_metric import VIEScore

__all__ = ['VIEScore', 'combine', 'combine_calls', 'parse_scores']
