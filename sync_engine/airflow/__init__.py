"""SyncHub's Airflow face: DAG factory, Connection lookup, run notes and the conflict review plugin.

Only this package and ``dags/`` import Airflow; the engine never does.
"""
