"""Refresh: ./periodic, bronze files to silver/gold with dbt, then the metric CSVs.

The only part of the pipeline that opens the warehouse, one refresh at a time under a file lock.
"""
