"""Pipeline steps: open, sample, decode and pack videos."""
from .video_transforms import DecodeFrames, OpenVideo, PackVideoInputs, SampleFrames

__all__ = ['OpenVideo', 'SampleFrames', 'DecodeFrames', 'PackVideoInputs']
