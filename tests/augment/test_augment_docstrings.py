"""The public augmentation functions carry docstring examples (run by
tests/test_docstring_examples.py)."""
import graphssl.augment as augment


def test_public_functions_have_examples():
    for name in ["drop_edges", "add_edges", "drop_nodes", "shuffle_nodes", "mask_features", "dropout_features",
                 "add_feature_noise", "random_walk_subgraph", "ppr_diffusion", "heat_diffusion",
                 "approximate_ppr"]:
        doc = getattr(augment, name).__doc__
        assert ">>>" in doc, name
        if name not in ("ppr_diffusion", "heat_diffusion", "approximate_ppr"):  # deterministic: no flag
            assert "training" in doc, name
