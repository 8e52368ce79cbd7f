"""The module documents itself: every function has a signature (`help`, `inspect.signature`)
and a docstring that names every argument, in backquotes, with its meaning and allowed range.
(The stub `nnqft.pyi` is checked against the module by `python -m mypy.stubtest nnqft`, run by
.ci/python-test.)"""

import inspect
import pydoc

import pytest

import nnqft

FUNCTIONS = [name for name in nnqft.__all__ if callable(getattr(nnqft, name))]


def test_every_exported_function_is_tested_here():
    assert FUNCTIONS == ["sample", "gp", "kernel", "exact", "fit", "theory", "critical", "ntk", "analyze", "action", "scaling",
                         "table5", "rg", "depth", "ntk_study", "action_study"]


@pytest.mark.parametrize("name", FUNCTIONS)
def test_every_argument_is_documented(name):
    f = getattr(nnqft, name)
    doc = inspect.getdoc(f)
    assert doc and len(doc.split("\n")) >= 3, f"{name} has no docstring"
    missing = [p for p in inspect.signature(f).parameters if f"`{p}`" not in doc]
    assert not missing, f"nnqft.{name}'s docstring does not describe {missing}"


def test_help_of_sample_shows_the_signature_and_the_ranges():
    text = pydoc.render_doc(nnqft.sample, renderer=pydoc.plaintext)
    assert "sample(network, width=None, *, widths=None, d_out=1, nets=100000, experiments=10," in text
    for words in ["`width` (N) >= 1", "`experiments` >= 2", "[0, 2**64)", "`progress`", "KeyboardInterrupt"]:
        assert words in text, words
