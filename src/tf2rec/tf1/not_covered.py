"""The one error a TF1 name the runtime does not provide raises.

A user's converted script fails on the first such name; the message names the TF1 API and
says what to do, so the failure reads as a to-do item rather than as a bug in tf2rec.
`NotCoveredError` is an `AttributeError`, so `hasattr()` and `getattr(mod, name, default)`
keep working on the runtime's modules.
"""


class NotCoveredError(AttributeError):
    """A TF1 API that tf2rec.tf1 does not provide."""


def module_getattr(tf1_path: str, advice: str):
    """A module-level `__getattr__` raising `NotCoveredError` for `tf1_path.<name>`."""

    def __getattr__(name: str):
        if name.startswith("__"):  # import machinery and tools probe dunders: stay silent
            raise AttributeError(name)
        raise NotCoveredError(f"{tf1_path}.{name} is not provided by tf2rec.tf1; {advice}")

    return __getattr__
