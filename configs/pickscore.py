# The older toolkit's name of configs/pick_score.py (PickScore), kept so that its commands run as written:
#   python main_aigve.py configs/pickscore.py --work-dir ./output
# It only inherits; change settings in configs/pick_score.py (or override with --cfg-options).
_base_ = ['./pick_score.py']
