# FID over video frames with the FID Inception (pytorch-fid weights and preprocessing).
_base_ = ['_base_/default_runtime.py', '_base_/datasets/toy.py']

model_path = None

# the base pipeline decodes every frame; num_frames=None: every frame is a sample, an int samples that many
# frames uniformly per video
val_evaluator = dict(type='FID', model_path=model_path, num_frames=None, batch_size=32, device='auto')
test_evaluator = val_evaluator
