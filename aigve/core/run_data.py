"""Names of a written run config's data file (see :mod:`aigve.tools.run_config`); stdlib only, imports nothing.

A run config written for a caller (a service job, the pairing script) names its JSON data file under
:data:`RUN_DATA_KEY`; :func:`aigve.core.evaluate.load_config` merges that file and lists the keys it set
under :data:`RUN_DATA_KEYS`, so that logs and config dumps show those values redacted
(:class:`aigve.core.console.RedactingRunner`).
"""
RUN_DATA_KEY = 'aigve_data_file'
RUN_DATA_SUFFIX = '.data.json'
#: config key listing the top-level keys whose values came from the run data file (a caller's values)
RUN_DATA_KEYS = 'aigve_run_data_keys'
