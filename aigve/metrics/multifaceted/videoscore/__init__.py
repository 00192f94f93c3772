from .functional import ASPECTS, PROMPT_SHA256, REGRESSION_PROMPT, build_prompt
from .videoscore_metric import VideoScore

__all__ = ['ASPECTS', 'PROMPT_SHA256', 'REGRESSION_PROMPT', 'VideoScore', 'build_prompt']
