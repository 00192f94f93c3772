# CLIPSim (prompt-frame CLIP cosine) on AIGVE-Bench; compare with the human ratings: `aigve agreement RESULTS`.
# Fetch the data first: `aigve datasets download aigve-bench` (or --cfg-options data_root=/path/to/copy).
_base_ = ['_base_/default_runtime.py', '_base_/datasets/aigve_bench.py']

model_path = None  # hub id, manifest name or local CLIP folder; None uses `model_name_or_path`
val_evaluator = dict(type='CLIPSim', model_name_or_path='openai/clip-vit-base-patch32', model_path=model_path,
                     num_frames=8, frame_batch_size=32, device='auto')
test_evaluator = val_evaluator
