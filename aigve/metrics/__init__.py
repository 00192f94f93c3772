"""All aigve metrics. Importing this registers them; heavy libraries load only when a metric is built."""
from .text_video import BLIPSim, CLIPSim, CLIPTemp, PickScore
from .vbench import TemporalFlickering
from .video_quality import GSTVQA, LightVQAPlus, SimpleVQA

__all__ = ['TemporalFlickering', 'CLIPSim', 'CLIPTemp', 'BLIPSim', 'PickScore', 'GSTVQA', 'SimpleVQA', 'LightVQAPlus']
