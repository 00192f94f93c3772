"""No-reference video quality models: GSTVQA, SimpleVQA, Light-VQA+."""
from .gstvqa import GSTVQA
from .lightvqa_plus import LightVQAPlus
from .simple_vqa import SimpleVQA

__all__ = ['GSTVQA', 'LightVQAPlus', 'SimpleVQA']
