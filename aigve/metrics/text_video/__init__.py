"""Text-video metrics on Hugging Face image-text models: CLIPSim, CLIPTemp, BLIPSim, PickScore.

Importing this registers them; transformers and the weights load only when a metric is built.
"""
from .blip_sim import BLIPSim
from .clip_sim import CLIPSim
from .clip_temp import CLIPTemp
from .pick_score import PickScore

__all__ = ['BLIPSim', 'CLIPSim', 'CLIPTemp', 'PickScore']
