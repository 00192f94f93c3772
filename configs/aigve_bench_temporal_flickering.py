# VBench temporal flickering on AIGVE-Bench; compare with the human ratings: `aigve agreement RESULTS`.
# Fetch the data first: `aigve datasets download aigve-bench` (or --cfg-options data_root=/path/to/copy).
_base_ = ['_base_/default_runtime.py', '_base_/datasets/aigve_bench.py']

val_evaluator = dict(type='TemporalFlickering', device='auto')
test_evaluator = val_evaluator
