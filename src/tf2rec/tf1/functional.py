"""TF 1.15's functional layers (`tf.layers.dense` for `tf.layers.Dense`), made from the class.

TF1 wrote each function out: `inputs`, then the class's arguments in the class's order, then
`reuse`; the function built the layer with `_scope=name` and applied it. Here the function's
signature is read off the class's `__init__`, so the two cannot drift apart, and
`inspect.signature` (and `help`) show TF1's parameters, defaults included.
"""

import inspect

_POSITIONAL = inspect.Parameter.POSITIONAL_OR_KEYWORD
_ADDED = {
    "inputs": inspect.Parameter("inputs", _POSITIONAL),
    "reuse": inspect.Parameter("reuse", _POSITIONAL, default=None),
    "training": inspect.Parameter("training", _POSITIONAL, default=False),
}


def functional_form(layer_class, name, doc, order=None):
    """The function `name` that builds a `layer_class` from its arguments and applies it to
    `inputs`. `order` lists the parameters where TF1 gave them in another order than the
    class (`training` is then an argument of the call)."""
    own = {
        p.name: p
        for p in inspect.signature(layer_class.__init__).parameters.values()
        if p.name != "self" and p.kind is _POSITIONAL
    }
    names = order or ("inputs", *own, "reuse")
    signature = inspect.Signature([{**own, **_ADDED}[n] for n in names])

    def function(*args, **kwargs):
        given = signature.bind(*args, **kwargs)
        given.apply_defaults()
        arguments = dict(given.arguments)
        inputs, reuse = arguments.pop("inputs"), arguments.pop("reuse")
        call = {"training": arguments.pop("training")} if "training" in arguments else {}
        layer = layer_class(**arguments, _scope=arguments["name"], _reuse=reuse)
        return layer.apply(inputs, **call)

    function.__signature__ = signature
    function.__name__ = function.__qualname__ = name
    function.__module__ = layer_class.__module__
    function.__doc__ = doc
    return function
