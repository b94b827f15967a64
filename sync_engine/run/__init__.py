"""One run of a flow, as stages that take and return values (DESIGN.md, "One run of a flow").

``reading`` -> ``pairing`` -> ``deciding`` -> ``writing`` -> ``settling`` -> ``committing``, with
``dead_letters``, ``conflicts`` and ``resolutions`` beside them; ``runner`` names the steps in order.
"""

from sync_engine.run.context import Hook, Progress
from sync_engine.run.runner import FlowRunner

__all__ = ["FlowRunner", "Hook", "Progress"]
