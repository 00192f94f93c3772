from .kid_metric import KID

__all__ = ['KID']
