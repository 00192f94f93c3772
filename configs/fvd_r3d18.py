# FVD with torchvision's R3D-18 (Kinetics-400, 512-d penultimate features). NOT comparable with I3D FVDs.
_base_ = ['./fvd.py']

val_evaluator = dict(type='FVD', backbone='r3d18', num_frames=16)
test_evaluator = val_evaluator
