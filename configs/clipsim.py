# The older toolkit's name of configs/clip_sim.py (CLIPSim), kept so that its commands run as written:
#   python main_aigve.py configs/clipsim.py --work-dir ./output
# It only inherits; change settings in configs/clip_sim.py (or override with --cfg-options).
_base_ = ['./clip_sim.py']
