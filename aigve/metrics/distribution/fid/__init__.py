from .fid_metric import FID

__all__ = ['FID']
