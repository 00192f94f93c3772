# The older toolkit's name of configs/clip_temp.py (CLIPTemp), kept so that its commands run as written:
#   python main_aigve.py configs/cliptemp.py --work-dir ./output
# It only inherits; change settings in configs/clip_temp.py (or override with --cfg-options).
_base_ = ['./clip_temp.py']
