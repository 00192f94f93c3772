# FID over video frames with the FID Inception (pytorch-fid weights and input protocol: x/255, bilinear, 2x-1;
# input_protocol='torch-fidelity' for torch-fidelity's / torchmetrics').
_base_ = ['_base_/default_runtime.py', '_base_/datasets/toy.py']

model_path = None

# the base pipeline decodes every frame; num_frames=None: every frame is a sample, an int samples that many
# frames uniformly per video
val_evaluator = dict(type='FID', model_path=model_path, num_frames=None, input_protocol='pytorch-fid', batch_size=32,
                     device='auto')
test_evaluator = val_evaluator
