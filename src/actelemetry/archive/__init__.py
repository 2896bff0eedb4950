"""The team archive: sessions in a Hive-partitioned Parquet dataset, and the analysis'
queries run over it on DuckDB or Spark."""
