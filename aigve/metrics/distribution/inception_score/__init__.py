from .inception_score_metric import IS

__all__ = ['IS']
