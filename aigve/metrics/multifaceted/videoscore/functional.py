"""VideoScore's regression prompt, frame rule and output order (TIGER-Lab/VideoScore ``examples/run_videoscore.py``).

The prompt is the authors' ``REGRESSION_QUERY_PROMPT``, byte for byte (it starts with a newline, one line ends
with a space; sha256 :data:`PROMPT_SHA256` of the template with its ``{text_prompt}`` field). The text prompt
is put in with :meth:`str.replace`, so braces in a prompt cannot break it (upstream's ``str.format`` would),
and ``"<image> "`` is appended once per frame, as upstream does (the training data were built the same way).
"""
from __future__ import annotations

__all__ = ['REGRESSION_PROMPT', 'PROMPT_SHA256', 'ASPECTS', 'build_prompt']

REGRESSION_PROMPT = (
    '\n'
    'Suppose you are an expert in judging and evaluating the quality of AI-generated videos,\n'
    'please watch the following frames of a given video and see the text prompt for generating the video,\n'
    'then give scores from 5 different dimensions:\n'
    '(1) visual quality: the quality of the video in terms of clearness, resolution, brightness, and color\n'
    '(2) temporal consistency, both the consistency of objects or humans and the smoothness of motion or movements\n'
    '(3) dynamic degree, the degree of dynamic changes\n'
    '(4) text-to-video alignment, the alignment between the text prompt and the video content\n'
    '(5) factual consistency, the consistency of the video content with the common-sense and factual knowledge\n'
    '\n'
    'for each dimension, output a float number from 1.0 to 4.0,\n'
    'the higher the number is, the better the video performs in that sub-score, \n'
    'the lowest 1.0 means Bad, the highest 4.0 means Perfect/Real (the video is like a real video)\n'
    'Here is an output example:\n'
    'visual quality: 3.2\n'
    'temporal consistency: 2.7\n'
    'dynamic degree: 4.0\n'
    'text-to-video alignment: 2.3\n'
    'factual consistency: 1.8\n'
    '\n'
    'For this video, the text prompt is "{text_prompt}",\n'
    'all the frames of video are as follows:\n'
)
#: sha256 of :data:`REGRESSION_PROMPT` (UTF-8), as read from the authors' code
PROMPT_SHA256 = '49b386d9ea3003760c983cc258cf4211faf858d58191f95fcfacdf68a8fed2c0'
#: the five outputs, in the checkpoints' order
ASPECTS = ('visual_quality', 'temporal_consistency', 'dynamic_degree', 'text_to_video_alignment',
           'factual_consistency')
#: the image placeholder the processor expands, and what follows it in the prompt
IMAGE_TOKEN = '<image>'


def build_prompt(text_prompt: str, num_frames: int) -> str:
    """The model's input text for a video of ``num_frames`` frames generated from ``text_prompt``.

    Examples:
        >>> 'the text prompt is "a {cat}",' in build_prompt('a {cat}', 2)
        True
        >>> build_prompt('a {cat}', 2).endswith('video are as follows:\\n<image> <image> ')
        True
    """
    if num_frames < 1:
        raise ValueError(f'`num_frames` must be >= 1, but got {num_frames}')
    return REGRESSION_PROMPT.replace('{text_prompt}', text_prompt) + f'{IMAGE_TOKEN} ' * num_frames
