"""zhibiao: a Python client of the zhibiao suite (指标), answers as pandas DataFrames.

    import zhibiao
    zb = zhibiao.Client("127.0.0.1:7402", ingest_target="127.0.0.1:7401")
    zb.rank("economy.gdp", 2025, figures="result_changes", kind="work_report", k=31)
"""

from .errors import Error
from .client import Client, DOCUMENT_SUFFIXES, FIGURES, KINDS, read_env_file

__all__ = ["Client", "Error", "DOCUMENT_SUFFIXES", "FIGURES", "KINDS", "read_env_file"]
