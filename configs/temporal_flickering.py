# VBench temporal flickering (weight-free): (255 - mean |frame_{t+1} - frame_t|) / 255, on every frame.
_base_ = ['_base_/default_runtime.py', '_base_/datasets/toy.py']

val_dataloader = dict(dataset=dict(pipeline=_base_.generated_pipeline))  # reads no reference video
val_evaluator = dict(type='TemporalFlickering', device='auto')
test_evaluator = val_evaluator
