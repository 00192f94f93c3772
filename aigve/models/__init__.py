"""Backbones and feature extractors. Import the module you need; nothing is imported here on purpose
(importing a backbone module may pull optional libraries)."""
