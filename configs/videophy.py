# VideoPhy (VideoCon-Physics): semantic adherence (SA) and physical commonsense (PC), P(Yes)/(P(Yes)+P(No)) in [0, 1],
# plus the fractions of videos above `threshold` and both (joint). Needs prompts. A 7B model: run it on a GPU
# (bf16, about 15 GB of weights); on a CPU it is for tiny test models only.
_base_ = ['_base_/default_runtime.py', '_base_/datasets/toy.py']

val_dataloader = dict(dataset=dict(pipeline=_base_.generated_pipeline))  # reads no reference video
# model_path= a local folder of videophysics/videocon_physics
val_evaluator = dict(type='VideoPhy', model_path=None, threshold=0.5, num_frames=32, videos_per_batch=4,
                     dtype='auto', device='auto')
test_evaluator = val_evaluator
