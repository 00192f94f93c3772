# The older toolkit's name of configs/simple_vqa.py (SimpleVQA), kept so that its commands run as written:
#   python main_aigve.py configs/simplevqa.py --work-dir ./output
# It only inherits; change settings in configs/simple_vqa.py (or override with --cfg-options).
_base_ = ['./simple_vqa.py']
