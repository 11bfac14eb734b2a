"""Landing: ./handle-stream, stdin to committed Parquet bronze files.

Never opens the warehouse: the transformation side reads the files it commits.
"""
