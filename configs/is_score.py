# The older toolkit's name of configs/is.py (IS), kept so that its commands run as written:
#   python main_aigve.py configs/is_score.py --work-dir ./output
# It only inherits; change settings in configs/is.py (or override with --cfg-options).
_base_ = ['./is.py']
