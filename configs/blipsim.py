# The older toolkit's name of configs/blip_sim.py (BLIPSim), kept so that its commands run as written:
#   python main_aigve.py configs/blipsim.py --work-dir ./output
# It only inherits; change settings in configs/blip_sim.py (or override with --cfg-options).
_base_ = ['./blip_sim.py']
