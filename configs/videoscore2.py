# VideoScore2 (TIGER-Lab): a Qwen2.5-VL-7B judge that reasons, then scores visual quality, text-to-video alignment
# and physical/common-sense consistency from 1 to 5 (per-video value: the authors' soft score). Needs prompts.
# A 7B model: run it on a GPU (bf16, about 16.6 GB of weights); on a CPU it is for tiny test models only.
_base_ = ['_base_/default_runtime.py', '_base_/datasets/toy.py']

val_dataloader = dict(dataset=dict(pipeline=_base_.generated_pipeline))  # reads no reference video
# Sampling as the authors run it (model card / vs2_inference.py): do_sample=True, temperature 0.7, 1024 new
# tokens, video at 2 fps. `seed` is reset before every video, so a run is reproducible on the same hardware and
# software. do_sample=False decodes greedily: deterministic, but not the authors' setting (a deviation).
# score='hard' reports the parsed integers instead of the soft score; fallback_fps is assumed for a video whose
# frame rate the dataset does not give (None: such a video is a counted failure).
val_evaluator = dict(type='VideoScore2', model_path=None, fps=2.0, fallback_fps=None, do_sample=True,
                     temperature=0.7, max_new_tokens=1024, seed=0, score='soft', dtype='auto', device='auto')
test_evaluator = val_evaluator
