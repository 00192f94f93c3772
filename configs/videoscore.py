# VideoScore v1.1 (TIGER-Lab): five regression scores (visual quality, temporal consistency, dynamic degree,
# text-to-video alignment, factual consistency; nominal [1, 4]) from a fine-tuned Idefics2-8B. Needs prompts.
# An 8B model: run it on a GPU (bf16, about 17 GB of weights); on a CPU it is for tiny test models only.
_base_ = ['_base_/default_runtime.py', '_base_/datasets/toy.py']

val_dataloader = dict(dataset=dict(pipeline=_base_.generated_pipeline))  # reads no reference video
# version='v1' selects TIGER-Lab/VideoScore (16 frames); model_path= a local folder of the checkpoint.
val_evaluator = dict(type='VideoScore', version='v1.1', model_path=None, videos_per_batch=1, dtype='auto',
                     device='auto')
test_evaluator = val_evaluator
