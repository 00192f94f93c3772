# Inception Score of the generated frames (FID Inception logits, 10 splits, torch-fidelity's seed 2020 and
# input protocol: TF1 bilinear resize, (x-128)/128; input_protocol='pytorch-fid' for FID's).
_base_ = ['_base_/default_runtime.py', '_base_/datasets/toy.py']

model_path = None

val_dataloader = dict(dataset=dict(pipeline=_base_.generated_pipeline))  # IS reads no reference video
# num_frames=None: every frame is a sample; an int samples that many frames uniformly per video
val_evaluator = dict(type='IS', model_path=model_path, num_frames=None, splits=10, seed=2020,
                     input_protocol='torch-fidelity', batch_size=32, device='auto')
test_evaluator = val_evaluator
