"""VideoScore2: TIGER-Lab's generative judge (Qwen2.5-VL-7B) of visual quality, text alignment and physics."""
from .functional import ASPECTS, PROMPT_SHA256, QUERY_TEMPLATE, build_prompt, parse_scores
from .videoscore2_metric import VideoScore2

__all__ = ['ASPECTS', 'PROMPT_SHA256', 'QUERY_TEMPLATE', 'VideoScore2', 'build_prompt', 'parse_scores']
