# FID over video frames with the FID Inception (pytorch-fid weights and preprocessing).
_base_ = ['_base_/default_runtime.py', '_base_/datasets/toy.py']

model_path = None

val_dataloader = dict(dataset=dict(pipeline=[
    dict(type='OpenVideo', backend='auto'),
    dict(type='SampleFrames', strategy='all'),
    dict(type='DecodeFrames'),
    dict(type='PackVideoInputs'),
]))
# frames_per_video=None: every frame is a sample; an int samples that many frames uniformly per video
val_evaluator = dict(type='FID', model_path=model_path, frames_per_video=None, batch_size=32, device='auto')
test_evaluator = val_evaluator
