# KID over video frames with the FID Inception (pytorch-fid weights; torch-fidelity's input protocol:
# TF1 bilinear resize, (x-128)/128; input_protocol='pytorch-fid' for FID's).
_base_ = ['_base_/default_runtime.py', '_base_/datasets/toy.py']

model_path = None

# The toy set has 6 x 16 = 96 frames per side, so subset_size must be <= 96 (papers use 1000).
val_evaluator = dict(type='KID', model_path=model_path, num_frames=None, subsets=100, subset_size=50,
                     input_protocol='torch-fidelity', batch_size=32, device='auto')
test_evaluator = val_evaluator
