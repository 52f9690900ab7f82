from __future__ import annotations

import pytest

from contracts.subjects import split_type, subject_for, subject_matches


class TestSubjectFor:
    def test_drops_the_version_and_adds_the_kind(self) -> None:
        assert (
            subject_for("evt", "registry.model_version.promoted.v1") == "evt.registry.model_version.promoted"
        )

    @pytest.mark.parametrize("bad", ["registry.promoted.v1", "Registry.x.y.v1", "a.b.c.v0", "a.b.c"])
    def test_malformed_types_are_refused(self, bad: str) -> None:
        with pytest.raises(ValueError, match="is not <service>"):
            split_type(bad)


class TestSubjectMatches:
    @pytest.mark.parametrize(
        ("pattern", "subject", "expected"),
        [
            (">", "workflow.run.started", True),
            ("workflow.>", "workflow.run.started", True),
            ("workflow.>", "workflow", False),
            ("*.command.*", "infra.command.rejected", True),
            ("*.command.*", "infra.command.rejected.extra", False),
            ("registry.model.promoted", "registry.model.promoted", True),
            ("registry.model.promoted", "registry.model.archived", False),
            ("registry.*", "registry.model.promoted", False),
        ],
    )
    def test_nats_wildcards(self, pattern: str, subject: str, expected: bool) -> None:
        assert subject_matches(pattern, subject) is expected
