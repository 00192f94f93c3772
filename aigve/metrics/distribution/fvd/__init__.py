from .fvd_metric import FVD, clip_indices

__all__ = ['FVD', 'clip_indices']
