# FVD with the research-standard I3D (StyleGAN-V's i3d_torchscript.pt): one 16-frame clip per video, shorter
# side to 224 + centre crop, [-1, 1]; covariance with N (as StyleGAN-V). Weights: `aigve weights download
# fvd-i3d-torchscript` (fetched on first use when online), or model_path=<file>.
_base_ = ['_base_/default_runtime.py', '_base_/datasets/toy.py']

model_path = None

# the base pipeline decodes every frame; the metric picks the clip: num_frames frames, every stride-th,
# clip='first' or 'uniform', pad=None (too-short videos are listed as failures) or 'repeat_last'/'loop'.
# backbone: any VideoBackbone registered in MODELS ('i3d', 'i3d_tats', 'videomae', 'r3d18', or your own).
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
