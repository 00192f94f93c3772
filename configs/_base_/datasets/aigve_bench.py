# AIGVE-Bench (Hugging Face dataset xiaoliux/AIGVE-Bench): generated videos with nine 0-5 human ratings each.
# data_root = None reads the copy fetched by `aigve datasets download aigve-bench` (aigve's hub cache);
# point it at another copy with --cfg-options data_root=/path/to/AIGVE-Bench.
# Layout: <data_root>/annotations/{train,test}.json, <data_root>/videos/<video_path_pd>.
# The loader settings are the toy set's; the dataset replaces it, reading no reference video (there is none).
_base_ = ['./toy.py']

data_root = None
ann_file = 'annotations/test.json'
val_dataloader = dict(
    batch_size=1,
    dataset=dict(_delete_=True, type='AIGVEBenchDataset', data_root=data_root, ann_file=ann_file,
                 data_prefix=dict(video='videos'), pipeline=_base_.generated_pipeline),
)
test_dataloader = val_dataloader
