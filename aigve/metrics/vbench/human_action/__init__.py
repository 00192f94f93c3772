"""VBench ``human_action`` (Huang et al., CVPR 2024; github.com/Vchitect/VBench, Apache-2.0).

UMT ViT-L/16 fine-tuned on Kinetics-400 (Li et al., "Unmasked Teacher", ICCV 2023; github.com/OpenGVLab/
unmasked_teacher, MIT), run as transformers ``VideoMAEForVideoClassification`` (``aigve/models/umt.py``).
Class names: ``aigve/data/vbench/kinetics_400_categories.txt`` (VBench's file; see its README).
"""
from .functional import (
    clip_indices,
    is_correct,
    kept_labels,
    kinetics400_names,
    label_from_filename,
    short_side_size,
    umt_transform,
)
from .human_action_metric import HumanAction, action_label

__all__ = ['HumanAction', 'action_label', 'clip_indices', 'is_correct', 'kept_labels', 'kinetics400_names',
           'label_from_filename', 'short_side_size', 'umt_transform']
