# Light-VQA+ (Zhou et al., 2024), reconstructed (the authors' code is unpublished; see docs/metrics/lightvqa_plus.md):
# Swin-S on 8 key frames, SlowFast-R50 clips, CLIP ViT-B/32 brightness/noise guidance on every frame,
# cross-attention fusion of spatial and temporal clip features, HVS-weighted pooling of the 8 clip scores.
# Weights: the Light-VQA+ checkpoint via model_path, plus `aigve weights download slowfast-r50-k400
# clip-vit-base-patch32`.
_base_ = ['_base_/default_runtime.py', '_base_/datasets/toy.py']

val_dataloader = dict(batch_size=1)
val_evaluator = dict(type='LightVQAPlus', model_path=None, clip_model='clip-vit-base-patch32',
                     slowfast_model_path=None, device='auto')
test_evaluator = val_evaluator
