# PickScore: exp(logit_scale) x cos(frame, prompt) of the PickScore_v1 CLIP-H/14 model, frame-averaged.
_base_ = ['_base_/default_runtime.py', '_base_/datasets/toy.py']

# Hub id, manifest name or local folder saved with save_pretrained(); None uses `model_name_or_path` below.
# Override with: --cfg-options val_evaluator.model_path=/path/to/PickScore_v1
#                              val_evaluator.processor=/path/to/CLIP-ViT-H-14-laion2B-s32B-b79K
model_path = None

# Frames: the toy pipeline gives every frame; CLIP-H/14 is heavy on CPU, so consider `num_frames=8` here or
# dict(type='SampleFrames', strategy='uniform', num_frames=8) in the pipeline.
val_evaluator = dict(
    type='PickScore',
    model_name_or_path='yuvalkirstain/PickScore_v1',
    processor='laion/CLIP-ViT-H-14-laion2B-s32B-b79K',
    model_path=model_path,
    num_frames=None,
    frame_batch_size=16,
    device='auto',
)
test_evaluator = val_evaluator
