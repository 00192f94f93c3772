"""Datasets, their pipeline steps and the collate function."""
from .aigve_bench import AIGVEBenchDataset
from .base_video_dataset import BaseVideoDataset, resolve_data_root
from .collate import video_collate
from .transforms import DecodeFrames, OpenVideo, PackVideoInputs, SampleFrames

__all__ = [
    'AIGVEBenchDataset', 'BaseVideoDataset', 'resolve_data_root', 'video_collate', 'OpenVideo', 'SampleFrames',
    'DecodeFrames', 'PackVideoInputs'
]
