# VBench object_class: NOT AVAILABLE in aigve yet (needs GRiT + detectron2); building the metric raises
# DimensionNotAvailable saying what it would take (docs/metrics/vbench_unavailable.md). Kept so that the name
# resolves and the suite can list the dimension as missing.
_base_ = ['_base_/default_runtime.py', '_base_/datasets/toy.py']

val_dataloader = dict(dataset=dict(pipeline=_base_.generated_pipeline))
val_evaluator = dict(type='ObjectClass')
test_evaluator = val_evaluator
