"""aigve: evaluation toolkit for AI-generated videos.

Importing the package is light on purpose: nothing here imports torch or touches the network.
"""
__version__ = '0.1.0'

__all__ = ['__version__']
