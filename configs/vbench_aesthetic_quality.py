# VBench aesthetic quality: LAION aesthetic predictor (linear head on CLIP ViT-L/14) of every frame / 10,
# mean over frames, then over videos.
_base_ = ['_base_/default_runtime.py', '_base_/datasets/toy.py']

# CLIP ViT-L/14 folder (or hub id); None uses openai/clip-vit-large-patch14 via the resolver.
# Override with: --cfg-options model_path=/path/to/clip-vit-large-patch14 val_evaluator.head_path=/path/to/head.pth
model_path = None

val_dataloader = dict(dataset=dict(pipeline=_base_.generated_pipeline))  # every frame; no reference video
val_evaluator = dict(type='AestheticQuality', model_name_or_path='openai/clip-vit-large-patch14',
                     model_path=model_path, head_path=None, frame_batch_size=32, device='auto')
test_evaluator = val_evaluator
