"""bn_mlp: batch norm before or after the activation, and on the inputs (Chapter 8)."""

import pytest
import torch
from torch import nn

import lectures_lib as L


def names(model):
    return [name for name, _ in model.named_children()]


def test_before_places_bn_on_the_pre_activation_like_mlp():
    net = L.bn_mlp([5, 7, 6, 3], "relu", placement="before")
    assert names(net) == ["fc1", "bn1", "act1", "fc2", "bn2", "act2", "fc3"]
    assert names(net) == names(L.mlp([5, 7, 6, 3], "relu", batch_norm=True))
    assert net.bn1.num_features == 7 and net.bn2.num_features == 6


def test_after_places_bn_on_the_activation_output_and_input_bn_comes_first():
    net = L.bn_mlp([5, 7, 3], "tanh", placement="after", input_bn=True)
    assert names(net) == ["bn0", "fc1", "act1", "bn1", "fc2"]
    assert isinstance(net.act1, nn.Tanh) and net.bn0.num_features == 5


def test_forward_shape_and_after_placement_standardizes_the_next_layer_input():
    torch.manual_seed(0)
    net = L.bn_mlp([4, 16, 2], placement="after")
    x = 3 * torch.randn(64, 4) + 1
    assert net(x).shape == (64, 2)
    h = net.bn1(net.act1(net.fc1(x)))
    assert torch.allclose(h.mean(0), torch.zeros(16), atol=1e-5)


def test_bn_before_makes_the_output_invariant_to_one_input_scale_and_any_shift():
    torch.manual_seed(0)
    net = L.bn_mlp([4, 8, 3], placement="before").double()
    x = torch.randn(32, 4, dtype=torch.float64)
    shift = torch.tensor([3.0, -1.0, 0.5, 2.0], dtype=torch.float64)
    net.bn1.eps = 1e-30  # (almost) exact standardization: the invariance is exact too
    with torch.no_grad():
        assert torch.allclose(net(x), net(8 * x + shift), atol=1e-9)
        # one scale per feature is not removed: W D x is not a per-unit rescaling of W x
        per_feature = torch.tensor([8.0, 0.5, 2.0, 3.0], dtype=torch.float64)
        assert not torch.allclose(net(x), net(per_feature * x), atol=1e-3)


@pytest.mark.parametrize(
    "kwargs, error, words",
    [
        (
            dict(placement="middle"),
            ValueError,
            "placement must be one of .* got 'middle'",
        ),
        (dict(input_bn=1), TypeError, "input_bn must be a bool, got int: 1"),
        (dict(activation="nope"), ValueError, "nope"),
    ],
)
def test_bad_arguments_name_the_argument_and_value(kwargs, error, words):
    with pytest.raises(error, match=words):
        L.bn_mlp([4, 8, 3], **kwargs)


@pytest.mark.parametrize("sizes", [[4], [4, 0, 3], "4,3"])
def test_bad_sizes(sizes):
    with pytest.raises((ValueError, TypeError), match="sizes"):
        L.bn_mlp(sizes)
