"""The engine knows how much memory a pass needs before it allocates: a batch too big is
computed in slices (with the same numbers), and a network too big for one scenario is exit 2
with the size it would need — never a MemoryError traceback."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest

from argmap.engine import jtree as _jtree
from argmap.engine.compile import Network, Variable
from argmap.errors import ArgmapError
from argmap.engine.infer import calibrate, junction_tree


def ring(n: int, cards: int = 3, seed: int = 0) -> Network:
    """x_i depends on x_{i-1} and x_{i-2}, closed into a ring by x_0's last child: the
    triangulation joins a band of the ring into one wide clique."""
    rng = np.random.default_rng(seed)
    variables: dict[str, Variable] = {}
    for i in range(n):
        parents = tuple(f"x{j}" for j in (i - 1, i - 2) if j >= 0)
        if i == n - 1:
            parents += ("x0",)
        table = rng.uniform(0.1, 1, size=(cards,) * len(parents) + (cards,))
        variables[f"x{i}"] = Variable(f"x{i}", tuple(f"s{k}" for k in range(cards)), parents,
                                      table / table.sum(axis=-1, keepdims=True), "claim")
    return Network(variables)


def star(parents: int) -> Network:
    """One claim with many binary parents: its family is one table of 2^(parents+1) numbers."""
    variables = {f"p{i}": Variable(f"p{i}", ("true", "false"), (), np.array([0.3, 0.7]), "claim")
                 for i in range(parents)}
    rng = np.random.default_rng(1)
    p = rng.uniform(0.05, 0.95, size=(2,) * parents)
    variables["child"] = Variable("child", ("true", "false"), tuple(variables), np.stack([p, 1 - p], -1), "claim")
    return Network(variables)


def test_a_network_beyond_the_limit_is_an_argmap_error_naming_the_size(monkeypatch):
    monkeypatch.setenv(_jtree.MEMORY_ENV, "64K")
    network = star(14)  # a 32,768-number table: 256 KiB
    with pytest.raises(ArgmapError) as caught:
        calibrate(network, [{"child": 0}])
    message = str(caught.value)
    assert "too large to compute exactly" in message and "KiB" in message
    assert "fewer parents" in message and _jtree.MEMORY_ENV in message
    assert "32,768 numbers" in message and "child" in message


def test_a_batch_beyond_the_limit_is_sliced_and_gives_the_same_numbers(monkeypatch):
    network = ring(10)
    scenarios = [{f"x{i % 10}": i % 3, f"x{(3 * i) % 10}": (i + 1) % 3} for i in range(40)]
    whole = calibrate(network, scenarios)
    one = junction_tree(network)._plan([], {}, 1).bytes
    monkeypatch.setenv(_jtree.MEMORY_ENV, str(6 * one))  # room for a few scenarios, not forty
    sliced = calibrate(network, scenarios)
    assert isinstance(sliced, _jtree._Chunked) and len(sliced._parts) > 1
    for name in network.variables:
        np.testing.assert_allclose(sliced.marginal(name), whole.marginal(name), atol=1e-12)
    np.testing.assert_allclose(sliced.log_evidence, whole.log_evidence, atol=1e-12)


@pytest.mark.parametrize("lazy_from, greedy_up_to", [(0, 1 << 40), (0, -1), (1 << 40, 1 << 40)])
def test_lazy_and_dense_cliques_give_the_same_marginals(monkeypatch, lazy_from, greedy_up_to):
    """Dense cliques, and lazy ones contracted along opt_einsum's greedy or searched paths."""
    network = ring(9)
    scenarios = [{}, {"x3": 1}, {"x3": 2, "x7": 0}]
    expected = calibrate(network, scenarios)
    monkeypatch.setattr(_jtree, "LAZY_FROM", lazy_from)
    monkeypatch.setattr(_jtree, "GREEDY_PATH_UP_TO", greedy_up_to)
    tree = junction_tree(network)
    tree._contractions.clear()
    got = tree.calibrate([tree.state_factor("x3", np.array([-1, 1, 2])),
                          tree.state_factor("x7", np.array([-1, -1, 0]))], batch=3)
    for name in network.variables:
        np.testing.assert_allclose(got.marginal(name), expected.marginal(name), atol=1e-12)
    np.testing.assert_allclose(got.joint(("x2", "x3")), expected.joint(("x2", "x3")), atol=1e-12)


def test_the_memory_limit_reads_sizes(monkeypatch):
    for text, value in [("1000", 1000), ("64K", 64 << 10), ("2G", 2 << 30), ("1.5M", 3 << 19), ("8GiB", 8 << 30)]:
        monkeypatch.setenv(_jtree.MEMORY_ENV, text)
        assert _jtree.memory_limit() == value
    monkeypatch.setenv(_jtree.MEMORY_ENV, "lots")
    with pytest.raises(ArgmapError, match="not a size"):
        _jtree.memory_limit()
    monkeypatch.delenv(_jtree.MEMORY_ENV)
    assert 0 < _jtree.memory_limit()


def test_munin1_is_refused_before_anything_is_allocated_when_it_cannot_fit(monkeypatch):
    from test_engine import bnlearn

    from argmap.engine.compile import from_pgmpy

    network = from_pgmpy(bnlearn("munin1"))
    tree = junction_tree(network)
    plan = tree._plan([], {}, 1)
    assert plan.bytes > 300 << 20  # millions-of-numbers intermediates
    assert max(tree.sizes) == 78_400_000  # the clique that no pass ever builds whole (min-weight tree)
    monkeypatch.setenv(_jtree.MEMORY_ENV, "256M")
    with pytest.raises(ArgmapError, match="too large to compute exactly"):
        calibrate(network, [{}])


def test_the_command_line_says_so_with_exit_2_and_no_traceback(tmp_path):
    supporters = "\n".join(f"  s{i}:\n    text: Supporter {i}.\n    prior: 0.5" for i in range(14))
    (tmp_path / "wide.yaml").write_text(
        "argmap: 1\ntitle: Wide\nclaims:\n" + supporters + "\n  h:\n    text: The hypothesis.\n"
        "    role: hypothesis\n    supported_by: {" + ", ".join(f"s{i}: 0.3" for i in range(14)) + "}\n"
        "    leak: 0.1\n")
    env = dict(os.environ, **{_jtree.MEMORY_ENV: "32K"})
    done = subprocess.run([sys.executable, "-m", "argmap", "update", str(tmp_path / "wide.yaml")],
                          capture_output=True, text=True, env=env)
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr and "too large to compute exactly" in done.stderr
