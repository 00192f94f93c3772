# Runtime shared by every config: model-free evaluation loop, logging, environment.
default_scope = 'aigve'
model = dict(type='PassThroughModel')
model_wrapper_cfg = dict(type='aigve.UnwrappedModel')  # distributed runs: nothing to wrap
work_dir = None  # set by main_aigve.py (--work-dir, default work_dirs/<config name>)
log_level = 'INFO'
randomness = dict(seed=0)
env_cfg = dict(
    cudnn_benchmark=False,
    mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0),
    dist_cfg=dict(backend='gloo'),
)
default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=50),
    param_scheduler=None,
    checkpoint=None,
    sampler_seed=None,
)
custom_hooks = [dict(type='VideoProgressHook', interval=10)]
val_cfg = dict(type='AIGVELoop', strict=False, out_file=None, fp16=False)
