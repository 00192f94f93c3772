from .videophy_metric import VideoPhy, VideoPhy2

__all__ = ['VideoPhy', 'VideoPhy2']
