"""assess-xlsx: score and rank units from an assessment scheme and a folder of Excel workbooks."""

__version__ = "0.1.0"
