"""VBench ``aesthetic_quality`` (Huang et al., CVPR 2024; github.com/Vchitect/VBench ``vbench/aesthetic_quality.py``,
Apache-2.0): CLIP ViT-L/14 (OpenAI, MIT) image embeddings of every frame and the LAION aesthetic predictor v1
linear head (github.com/LAION-AI/aesthetic-predictor, MIT), divided by 10; mean over frames, then over videos.
"""
from .aesthetic_quality_metric import AestheticQuality, aesthetic_scores
from .network import laion_aesthetic_head, load_laion_head

__all__ = ['AestheticQuality', 'aesthetic_scores', 'laion_aesthetic_head', 'load_laion_head']
