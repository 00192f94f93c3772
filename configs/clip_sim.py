# CLIPSim: prompt-frame CLIP cosine averaged over frames, plus the CLIPScore convention (100 x cos, >= 0).
_base_ = ['_base_/default_runtime.py', '_base_/datasets/toy.py']

# Hub id, manifest name or local folder saved with save_pretrained(); None uses `model_name_or_path` below.
# Override with: --cfg-options val_evaluator.model_path=/path/to/clip-vit-base-patch32
model_path = None

# Frames: the toy pipeline gives every frame. To score N uniformly spread frames, either set
# `num_frames=N` below (sampled inside the metric) or decode fewer frames in the pipeline with
# dict(type='SampleFrames', strategy='uniform', num_frames=N).
val_evaluator = dict(
    type='CLIPSim',
    model_name_or_path='openai/clip-vit-base-patch32',
    model_path=model_path,
    num_frames=None,
    frame_batch_size=32,
    device='auto',
)
test_evaluator = val_evaluator
