# VBench background consistency: CLIP ViT-B/32 image-feature similarity of each frame to the previous and the
# first frame, every frame, VBench's tensor clip_transform, frame-weighted aggregate.
_base_ = ['_base_/default_runtime.py', '_base_/datasets/toy.py']

# Local folder saved with save_pretrained (or a hub id); None uses openai/clip-vit-base-patch32 via the resolver.
# Override with: --cfg-options model_path=/path/to/clip-vit-base-patch32
model_path = None

val_dataloader = dict(dataset=dict(pipeline=_base_.generated_pipeline))  # every frame; no reference video
val_evaluator = dict(type='BackgroundConsistency', model_name_or_path='openai/clip-vit-base-patch32',
                     model_path=model_path, frame_batch_size=32, device='auto')
test_evaluator = val_evaluator
