"""The ops page inside Airflow: its data (pages of records, names and links, charts, DAG runs)."""
