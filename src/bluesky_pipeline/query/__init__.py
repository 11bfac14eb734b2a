"""Query: ./query, SQL over the published snapshot (marts, run records, rejected lines), printed as a table or CSV.

Opens only the read-only snapshot, never the warehouse, so a query never blocks a refresh.
"""
