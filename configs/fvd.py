# FVD with the research-standard I3D (StyleGAN-V's i3d_torchscript.pt): one 16-frame clip per video, shorter
# side to 224 + centre crop, [-1, 1]; covariance with N (as StyleGAN-V). Weights: `aigve weights download
# fvd-i3d-torchscript` (fetched on first use when online), or model_path=<file>.
_base_ = ['_base_/default_runtime.py', '_base_/datasets/toy.py']

model_path = None

# decode every frame of generated and reference videos; the metric picks the clip (num_frames/stride/clip)
val_dataloader = dict(dataset=dict(pipeline=[
    dict(type='OpenVideo', backend='auto'),
    dict(type='SampleFrames', strategy='all'),
    dict(type='DecodeFrames'),
    dict(type='PackVideoInputs'),
]))
val_evaluator = dict(
    type='FVD',
    backbone='i3d',
    model_path=model_path,
    num_frames=16,
    stride=1,
    clip='first',
    pad=None,
    batch_size=8,
    ref_stats_file=None,
    save_ref_stats=None,
    device='auto')
test_evaluator = val_evaluator
