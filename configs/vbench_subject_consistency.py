# VBench subject consistency: DINO ViT-B/16 CLS similarity of each frame to the previous and the first frame,
# every frame, frame-weighted aggregate (VBench's single-process rule).
_base_ = ['_base_/default_runtime.py', '_base_/datasets/toy.py']

# dino_vitbase16_pretrain.pth (or a folder holding it, or a transformers facebook/dino-vitb16 folder); None: cache,
# then download. Override with: --cfg-options model_path=/path/to/dino_vitbase16_pretrain.pth
model_path = None

val_dataloader = dict(dataset=dict(pipeline=_base_.generated_pipeline))  # every frame; no reference video
val_evaluator = dict(type='SubjectConsistency', model_path=model_path, image_size=224, frame_batch_size=32,
                     device='auto')
test_evaluator = val_evaluator
