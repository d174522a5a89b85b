"""Reopening: a reopened store keeps its members, chain and settings, and refuses changed ones."""

from __future__ import annotations

from typing import Any

import pytest

import gridpoints as gp
from gridpoints.testing._conformance.base import ConformanceBase
from gridpoints.testing._conformance.fixtures import LOCAL_RULES, MEMBERS, LocalRules, at, xiao_li_month


class Reopening(ConformanceBase):
    def test_reopening_keeps_members_settings_and_the_chain(self) -> None:
        engine = self.engine()
        engine.ingest(xiao_li_month())
        head = engine.store.head()
        engine = self.reopen(engine)
        assert engine.store.head() == head and engine.ledger.verify().entries == 23
        assert engine.members == MEMBERS and engine.score("M001", "2026-11") == 127
        engine.add_members([gp.Member(id="M001", region="urban")])  # erase the name: chain untouched
        engine = self.reopen(engine)
        assert engine.member("M001").name is None and engine.ledger.verify()
        if self.durable:
            engine.close()
        with pytest.raises(gp.ConfigurationError, match="created with tz='Asia/Shanghai', not 'Asia/Urumqi'"):
            self.engine(engine.store if not self.durable else None, members=False, tz="Asia/Urumqi")

    def test_a_settings_mismatch_is_a_typed_error_naming_key_and_values(self) -> None:
        engine = self.engine()
        engine.ingest(xiao_li_month()[:1])
        store = engine.store if not self.durable else None
        if self.durable:
            engine.close()
        cases: list[tuple[dict[str, Any], str, str, str]] = [
            ({"tz": "Asia/Urumqi"}, "tz", "Asia/Shanghai", "Asia/Urumqi"),
            ({"ruleset": "capped", "plugins": [LocalRules()]}, "ruleset", "standard", "capped"),
        ]
        for options, key, stored, value in cases:
            with pytest.raises(gp.StoreSettingsError) as caught:
                self.engine(store, members=False, **options)
            assert (caught.value.key, caught.value.stored, caught.value.given) == (key, stored, value)
            assert isinstance(caught.value, gp.ConfigurationError)
            assert f"was created with {key}={stored!r}, not {value!r}" in str(caught.value)
        moved = self.engine(store, members=False, tz="Asia/Urumqi", migrate=True)
        assert moved.ledger.verify().entries == 1
        if self.durable:
            moved.close()
        self.engine(store, members=False, tz="Asia/Urumqi")  # recorded by the migration

    def test_the_store_remembers_its_rule_set_rule_files_and_zone(self) -> None:
        rules = self.tmp_path / "local.toml"
        rules.write_text(LOCAL_RULES, encoding="utf-8")
        engine = self.engine(tz="Asia/Urumqi", rules_files=[rules])
        engine.ingest([gp.Event("p1", "M001", "patrol", at(3))])
        recorded = engine.store.settings()
        assert (recorded["tz"], recorded["ruleset"]) == ("Asia/Urumqi", "local")
        engine = self.reopen(engine)  # nothing given: the store's settings apply
        assert (engine.tz_name, engine.ruleset_id, engine.rule_files.paths) == ("Asia/Urumqi", "local", (str(rules),))
        assert engine.score("M001", "2026-11") == 7

    def test_a_changed_rule_file_is_refused_naming_it_and_both_digests(self) -> None:
        rules = self.tmp_path / "local.toml"
        rules.write_text(LOCAL_RULES, encoding="utf-8")
        engine = self.engine(rules_files=[rules])
        before = engine.rule_files.recorded[0][1]
        if self.durable:
            engine.close()
        store = engine.store if not self.durable else None
        rules.write_text('label = "本地规则"\n' + LOCAL_RULES, encoding="utf-8")  # same versions, new text
        with pytest.raises(gp.StoreSettingsError) as caught:
            self.engine(store, members=False)
        assert caught.value.key == "rule_files"
        assert str(rules) in str(caught.value) and before[:12] in str(caught.value)
        moved = self.engine(store, members=False, migrate=True)  # on purpose: recorded anew
        after = moved.rule_files.recorded[0][1]
        assert after != before
        if self.durable:
            moved.close()
        assert self.engine(store, members=False).rule_files.recorded[0][1] == after

    def test_the_same_rule_file_at_another_path_is_accepted(self) -> None:
        rules, moved = self.tmp_path / "local.toml", self.tmp_path / "moved.toml"
        for path in (rules, moved):
            path.write_text(LOCAL_RULES, encoding="utf-8")
        engine = self.engine(rules_files=[rules])
        engine = self.reopen(engine, rules_files=[moved])
        assert engine.ruleset_id == "local"
        engine = self.reopen(engine)
        assert engine.rule_files.paths == (str(moved),)

    def test_a_rule_version_changed_in_place_is_refused(self) -> None:
        store = self.open_store()
        store.register_versions([("local", "1", "a" * 64)])
        store.register_versions([("local", "1", "a" * 64), ("local", "2", "b" * 64)])
        with pytest.raises(gp.ConfigurationError, match="rule set local version 1 changed in place"):
            store.register_versions([("local", "1", "c" * 64)])
        store.close()
