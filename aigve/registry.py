"""Child registries of MMEngine's roots.

Every registry lists the package that holds its modules in ``locations``, so building anything under
``default_scope='aigve'`` imports those modules on first use (no import-time cost for ``import aigve``).
A user's own package registers into these same registries and is loaded with ``custom_imports``.
"""
from __future__ import annotations

from mmengine.registry import DATA_SAMPLERS as MMENGINE_DATA_SAMPLERS
from mmengine.registry import DATASETS as MMENGINE_DATASETS
from mmengine.registry import EVALUATOR as MMENGINE_EVALUATOR
from mmengine.registry import FUNCTIONS as MMENGINE_FUNCTIONS
from mmengine.registry import HOOKS as MMENGINE_HOOKS
from mmengine.registry import LOG_PROCESSORS as MMENGINE_LOG_PROCESSORS
from mmengine.registry import LOOPS as MMENGINE_LOOPS
from mmengine.registry import METRICS as MMENGINE_METRICS
from mmengine.registry import MODEL_WRAPPERS as MMENGINE_MODEL_WRAPPERS
from mmengine.registry import MODELS as MMENGINE_MODELS
from mmengine.registry import TRANSFORMS as MMENGINE_TRANSFORMS
from mmengine.registry import VISBACKENDS as MMENGINE_VISBACKENDS
from mmengine.registry import VISUALIZERS as MMENGINE_VISUALIZERS
from mmengine.registry import Registry

METRICS = Registry('metric', parent=MMENGINE_METRICS, scope='aigve', locations=['aigve.metrics'])
DATASETS = Registry('dataset', parent=MMENGINE_DATASETS, scope='aigve', locations=['aigve.datasets'])
TRANSFORMS = Registry(
    'transform', parent=MMENGINE_TRANSFORMS, scope='aigve', locations=['aigve.datasets.transforms'])
LOOPS = Registry('loop', parent=MMENGINE_LOOPS, scope='aigve', locations=['aigve.core'])
HOOKS = Registry('hook', parent=MMENGINE_HOOKS, scope='aigve', locations=['aigve.core'])
MODELS = Registry('model', parent=MMENGINE_MODELS, scope='aigve', locations=['aigve.core', 'aigve.models'])
MODEL_WRAPPERS = Registry(
    'model_wrapper', parent=MMENGINE_MODEL_WRAPPERS, scope='aigve', locations=['aigve.core'])
FUNCTIONS = Registry('function', parent=MMENGINE_FUNCTIONS, scope='aigve', locations=['aigve.datasets'])
# The runner also builds a sampler, an evaluator, a log processor and a visualizer under ``default_scope='aigve'``.
# aigve adds none of its own (MMEngine's are found through the parent), but without an ``aigve`` child in each
# tree MMEngine warns that it "failed to search registry with scope aigve" and falls back to its root.
DATA_SAMPLERS = Registry('data sampler', parent=MMENGINE_DATA_SAMPLERS, scope='aigve')
EVALUATOR = Registry('evaluator', parent=MMENGINE_EVALUATOR, scope='aigve')
LOG_PROCESSORS = Registry('log_processor', parent=MMENGINE_LOG_PROCESSORS, scope='aigve')
VISBACKENDS = Registry('vis_backend', parent=MMENGINE_VISBACKENDS, scope='aigve')
VISUALIZERS = Registry('visualizer', parent=MMENGINE_VISUALIZERS, scope='aigve')

__all__ = ['METRICS', 'DATASETS', 'TRANSFORMS', 'LOOPS', 'HOOKS', 'MODELS', 'MODEL_WRAPPERS', 'FUNCTIONS',
           'DATA_SAMPLERS', 'EVALUATOR', 'LOG_PROCESSORS', 'VISBACKENDS', 'VISUALIZERS']
