"""Distribution (set-level) metrics: FID, IS, FVD, KID; their math lives in ``functional``."""
from .base import FeatureBank, SetLevelMetric
from .fid import FID
from .fvd import FVD
from .inception_score import IS
from .kid import KID

__all__ = ['FID', 'FVD', 'IS', 'KID', 'FeatureBank', 'SetLevelMetric']
