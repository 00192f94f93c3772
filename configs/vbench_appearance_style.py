# VBench appearance style: CLIP ViT-B/32 similarity of every frame to the annotation's style text
# (auxiliary_info.appearance_style.appearance_style, as in VBench's prompt suite); frame-weighted aggregate.
# Videos whose annotation entry has no style are listed as failures of this metric.
_base_ = ['_base_/default_runtime.py', '_base_/datasets/toy.py']

# Local folder saved with save_pretrained (or a hub id); None uses openai/clip-vit-base-patch32 via the resolver.
model_path = None

val_dataloader = dict(dataset=dict(pipeline=_base_.generated_pipeline))  # every frame; no reference video
val_evaluator = dict(type='AppearanceStyle', model_name_or_path='openai/clip-vit-base-patch32',
                     model_path=model_path, frame_batch_size=32, device='auto')
test_evaluator = val_evaluator
