# BLIPSim: BLIP ITC cosine and ITM match probability between the prompt and each frame, frame-averaged.
_base_ = ['_base_/default_runtime.py', '_base_/datasets/toy.py']

# Hub id, manifest name or local folder saved with save_pretrained(); None uses `model_name_or_path` below.
# Override with: --cfg-options val_evaluator.model_path=/path/to/blip-itm-base-coco
model_path = None

# Frames: the toy pipeline gives every frame; BLIP runs its text encoder once per frame for ITM, so on CPU
# consider `num_frames=8` here or dict(type='SampleFrames', strategy='uniform', num_frames=8) in the pipeline.
val_evaluator = dict(
    type='BLIPSim',
    model_name_or_path='Salesforce/blip-itm-base-coco',
    model_path=model_path,
    num_frames=None,
    frame_batch_size=32,
    device='auto',
)
test_evaluator = val_evaluator
