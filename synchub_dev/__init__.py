"""SyncHub's developer tooling, shipped beside the product: real peer servers run locally (Tryton,
BottleCRM) and the ``synchub demo`` that seeds and syncs them.

``sync_engine`` never imports this package (a layer rule checked by ``lint-imports``): the ``demo``
command reaches the CLI through the ``synchub.commands`` entry-point group.
"""
