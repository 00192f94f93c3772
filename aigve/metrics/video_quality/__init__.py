"""No-reference video quality models: GSTVQA, SimpleVQA, Light-VQA, Light-VQA+ (experimental)."""
from .gstvqa import GSTVQA
from .light_vqa import LightVQA
from .lightvqa_plus import LightVQAPlus
from .simple_vqa import SimpleVQA

__all__ = ['GSTVQA', 'LightVQA', 'LightVQAPlus', 'SimpleVQA']
