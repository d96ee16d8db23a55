"""The admission chain's plugin selection: kube-apiserver's flags, order and defaults."""

from __future__ import annotations

import pytest

from kubelite.apiserver.admission.chain import DEFAULT_ON, ORDER, enabled_plugins


def test_the_default_chain_is_kubernetes_order_of_the_default_on_plugins():
    assert enabled_plugins() == [
        "NamespaceLifecycle",
        "LimitRanger",
        "ServiceAccount",
        "TaintNodesByCondition",
        "PodSecurity",
        "Priority",
        "DefaultTolerationSeconds",
        "DefaultStorageClass",
        "StorageObjectInUseProtection",
        "ResourceQuota",
    ]
    assert set(enabled_plugins()) == DEFAULT_ON


def test_enabled_plugins_run_in_chain_order_whatever_order_the_flag_names_them_in():
    names = enabled_plugins(enable=["AlwaysDeny", "ResourceQuota"], disable=["LimitRanger"])
    assert names == [n for n in ORDER if n != "LimitRanger"] + ["AlwaysDeny"]
    names = enabled_plugins(enable=["ResourceQuota"], disable=["LimitRanger"])
    assert names == [n for n in ORDER if n != "LimitRanger"]


def test_plugins_kubelite_lacks_are_accepted_and_unknown_ones_refused_as_kube_apiserver_words_it():
    assert "AlwaysPullImages" not in enabled_plugins(enable=["AlwaysPullImages"])
    with pytest.raises(ValueError, match='enable-admission-plugins plugin "Bogus" is unknown'):
        enabled_plugins(enable=["Bogus"])
    with pytest.raises(ValueError, match="overlapped"):
        enabled_plugins(enable=["Priority"], disable=["Priority"])


def test_always_deny_goes_last():
    assert enabled_plugins(enable=["AlwaysDeny"])[-1] == "AlwaysDeny"
