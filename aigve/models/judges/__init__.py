"""Judge backends for VLM/LLM-judged metrics (VIEScore, TIFA, DSG): one protocol, several implementations.

:mod:`.protocol` holds the API (``JudgeRequest``, ``JudgeReply``, ``JudgeFailure``, ``JudgeBackend``,
``build_backend``); :mod:`.openai_compat` (any OpenAI-compatible endpoint, httpx), :mod:`.local_hf` (a local
transformers VLM), :mod:`.scripted` (tests, dry runs) implement it and :mod:`.cache` caches answers on disk.
Only the protocol is imported here; the backends import their libraries when built.
"""
from aigve.models.judges.protocol import (
    BACKEND_TYPES,
    JudgeBackend,
    JudgeFailure,
    JudgeOutcome,
    JudgeReply,
    JudgeRequest,
    JudgeStats,
    build_backend,
)

__all__ = ['BACKEND_TYPES', 'JudgeBackend', 'JudgeFailure', 'JudgeOutcome', 'JudgeReply', 'JudgeRequest',
           'JudgeStats', 'build_backend']
