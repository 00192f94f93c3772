# CLIPTemp: mean cosine between consecutive frames' CLIP image embeddings (EvalCrafter); no prompt needed.
_base_ = ['_base_/default_runtime.py', '_base_/datasets/toy.py']

# Hub id, manifest name or local folder saved with save_pretrained(); None uses `model_name_or_path` below.
# Override with: --cfg-options val_evaluator.model_path=/path/to/clip-vit-base-patch32
model_path = None

# Frames: every frame the pipeline gives (consecutive = consecutive decoded frames). Subsampling changes
# the value (frames further apart are less alike); set `num_frames=N` (>= 2) only on purpose.
val_evaluator = dict(
    type='CLIPTemp',
    model_name_or_path='openai/clip-vit-base-patch32',
    model_path=model_path,
    num_frames=None,
    frame_batch_size=32,
    device='auto',
)
test_evaluator = val_evaluator
