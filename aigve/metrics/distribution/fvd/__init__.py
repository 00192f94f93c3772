from .fvd_metric import FVD

__all__ = ['FVD']
