"""Batch runs for ID centres: a folder or manifest of documents in, results and a report out.

Resumable after any kill, parallel on local processes or a Dask cluster, streamed so
memory stays flat.  See docs/batch.md.
"""

from __future__ import annotations

from misec_rules.batch._analysis import CrossDocumentAnalyzer
from misec_rules.batch._errors import BatchError
from misec_rules.batch._inputs import IMAGE_EXTENSIONS, DocumentRef, iter_documents
from misec_rules.batch._processor import DocumentProcessor, PipelineProcessor, ProcessorOutput
from misec_rules.batch._runner import BatchSummary, run_batch

__all__ = [
    "IMAGE_EXTENSIONS",
    "BatchError",
    "BatchSummary",
    "CrossDocumentAnalyzer",
    "DocumentProcessor",
    "DocumentRef",
    "PipelineProcessor",
    "ProcessorOutput",
    "iter_documents",
    "run_batch",
]
