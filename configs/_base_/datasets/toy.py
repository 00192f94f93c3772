# The toy set shipped inside the package (scripts/make_toy_dataset.py): generated + reference videos, prompts.
data_root = 'pkg://aigve/data/toy'
ann_file = 'annotations/toy.json'
pipeline = [
    dict(type='OpenVideo', backend='auto'),
    dict(type='SampleFrames', strategy='all'),
    dict(type='DecodeFrames'),
    dict(type='PackVideoInputs'),
]
# for metrics that read no reference video (IS, TemporalFlickering): the same steps, the reference left unopened;
# a config picks it with `val_dataloader = dict(dataset=dict(pipeline=_base_.generated_pipeline))`
generated_pipeline = [dict(pipeline[0], with_reference=False), *pipeline[1:]]
val_dataloader = dict(
    batch_size=4,
    num_workers=2,
    persistent_workers=False,
    sampler=dict(type='DefaultSampler', shuffle=False, round_up=False),
    collate_fn=dict(type='aigve.video_collate'),
    dataset=dict(type='BaseVideoDataset', data_root=data_root, ann_file=ann_file, pipeline=pipeline),
)
test_dataloader = val_dataloader
