"""All aigve metrics. Importing this registers them; heavy libraries load only when a metric is built."""
from .distribution import FID, FVD, IS, KID
from .text_video import BLIPSim, CLIPSim, CLIPTemp, PickScore
from .vbench import TemporalFlickering
from .video_quality import GSTVQA, LightVQAPlus, SimpleVQA

__all__ = [
    'FID', 'IS', 'FVD', 'KID', 'TemporalFlickering', 'CLIPSim', 'CLIPTemp', 'BLIPSim', 'PickScore', 'GSTVQA',
    'SimpleVQA', 'LightVQAPlus'
]
