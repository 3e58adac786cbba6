import pytest

from graphssl.methods import METHODS, build_method
from graphssl.registry import Registry


def test_register_and_get():
    r = Registry("thing")

    @r.register("Foo")
    class Foo:
        pass

    assert r.get("foo") is Foo and "FOO" in r and r.names() == ["foo"]
    with pytest.raises(ValueError, match="already registered"):
        r.register("foo")(object)


def test_unknown_method_lists_known_names():
    with pytest.raises(ValueError, match="unknown method 'nope'.*sgc"):
        METHODS.get("nope")
    with pytest.raises(ValueError, match="bad config for method 'sgc'"):
        build_method("sgc", in_dim=3, not_an_option=1)
