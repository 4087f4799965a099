"""`.env.example` documents every setting, in order, with its default; and what
an unset setting means where the default depends on the environment."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from dotenv import dotenv_values
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource

from csm_graph.settings import Settings

ENV_EXAMPLE = Path(__file__).resolve().parents[1] / ".env.example"


class _ExampleOnly(Settings):
    """Settings read from `.env.example` alone, whatever the environment holds."""

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (dotenv_settings,)


def _entries() -> list[str]:
    return list(dotenv_values(ENV_EXAMPLE))


def _fields() -> list[str]:
    return [name.upper() for name in Settings.model_fields]


def test_every_setting_is_in_env_example() -> None:
    missing = [name for name in _fields() if name not in _entries()]

    assert missing == [], f"add to .env.example: {missing}"


def test_every_env_example_entry_is_a_setting() -> None:
    unknown = [name for name in _entries() if name not in _fields()]
    duplicated = sorted({name for name in _entries() if _entries().count(name) > 1})

    assert unknown == [], f"not a Settings field: {unknown}"
    assert duplicated == []


def test_env_example_follows_the_order_of_settings() -> None:
    entries = [name for name in _entries() if name in _fields()]

    assert entries == [name for name in _fields() if name in entries]


def test_env_example_gives_the_defaults() -> None:
    example = _ExampleOnly(_env_file=ENV_EXAMPLE)

    differing: dict[str, tuple[Any, Any]] = {}
    for name, field in Settings.model_fields.items():
        default = field.get_default(call_default_factory=True)
        if getattr(example, name) != default:
            differing[name.upper()] = (getattr(example, name), default)

    assert differing == {}, "(.env.example, default) differ: " + repr(differing)


@pytest.mark.parametrize(
    ("environment", "log_json", "as_json"),
    [
        ("development", "", False),
        ("production", "", True),
        ("test", "", True),
        ("development", "true", True),
        ("production", "false", False),
    ],
)
def test_logs_are_text_for_people_and_json_for_machines(
    monkeypatch: pytest.MonkeyPatch, environment: str, log_json: str, as_json: bool
) -> None:
    # given: an environment, and LOG_JSON unset (empty, as .env.example has it) or set
    monkeypatch.setenv("ENVIRONMENT", environment)
    monkeypatch.setenv("LOG_JSON", log_json)
    monkeypatch.setenv("SECRET_KEY", "k" * 40)

    # then: unset follows the environment; set wins
    assert Settings(_env_file=None).logs_as_json is as_json


class _EnvironmentOnly(Settings):
    """Settings read from the process environment alone, as a child process reads them."""

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (env_settings,)


@pytest.mark.parametrize("unset", [True, False])
def test_a_child_process_reads_back_every_setting_it_is_given(
    unset: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given: settings with the optional ones unset (None), or set
    given = Settings(
        _env_file=None,  # type: ignore[call-arg]
        log_json=None if unset else True,
        webhook_allow_private_addresses=None if unset else False,
    )

    # when: a child process reads them from its environment (`as_environment`)
    for name, value in given.as_environment().items():
        monkeypatch.setenv(name, value)
    child = _EnvironmentOnly()

    # then: it has the same settings
    assert child.model_dump() == given.model_dump()
