"""Every option of every configured command is a config key, with one meaning per flag name."""

from __future__ import annotations

import typer.main

from synae.cli.app import app
from synae.cli.configdoc import commands
from synae.cli.options import CLI_ONLY, CONFIG_KEYS, FILE_TOOLS, MULTI_VALUE_KEYS
from synae.config import config_keys


def _options():
    for name, command in commands(typer.main.get_command(app)):
        for param in command.params:
            if param.param_type_name == "option":
                yield name, param


def test_every_option_of_a_configured_command_is_a_config_key() -> None:
    keys = set(config_keys())
    missing = [f"{cmd} {p.opts[0]}" for cmd, p in _options()
               if cmd not in FILE_TOOLS and p.name not in CLI_ONLY and p.name not in CONFIG_KEYS]
    assert not missing, f"options with no config key: {missing}"
    assert set(CONFIG_KEYS.values()) <= keys, set(CONFIG_KEYS.values()) - keys


def _meaning(name: str) -> str:
    """What an option sets: its config key, else (command-line matters, file tools' own options)
    the parameter itself."""
    return CONFIG_KEYS.get(name) or f"parameter {name}"


def flag_meanings() -> dict[str, set[str]]:
    """Every flag of every command (file tools and ``compare``'s multi-value options included) →
    what it sets."""
    seen: dict[str, set[str]] = {}
    for _, p in _options():
        for flag in (*p.opts, *p.secondary_opts):
            seen.setdefault(flag, set()).add(_meaning(p.name))
    for flag, key in MULTI_VALUE_KEYS.items():
        seen.setdefault(flag, set()).add(key)
    return seen


def test_a_flag_name_means_one_thing_in_every_command() -> None:
    seen = flag_meanings()
    assert {flag: k for flag, k in seen.items() if len(k) > 1} == {}
    assert seen["--judge-model"] == {"judge.model"} and seen["--concurrency"] == {"llm.concurrency"}
    assert seen["--parallel"] == {"downstream.parallel"} and seen["--no-cache"] == {"llm.cache"}
    assert seen["--html"] == {"output.html"} and seen["--out"] == {"output.out"}
    assert seen["--labels"] == {"compare.labels"} and seen["--known-labels"] == {"validity.known_labels"}
    assert seen["--json"] == {"parameter json_output"}


def test_the_clash_check_sees_file_tools_and_multi_value_options() -> None:
    """A file tool's own option, or a multi-value option, reusing a configured flag is a clash."""
    seen = flag_meanings()
    seen.setdefault("--html", set()).add("parameter html")  # e.g. `synae report --html PATH`
    seen.setdefault("--labels", set()).add("validity.known_labels")  # e.g. `validate --labels`
    assert {flag for flag, k in seen.items() if len(k) > 1} == {"--html", "--labels"}


def _flags(command: str) -> set[str]:
    params = typer.main.get_command(app).commands[command].params  # type: ignore[attr-defined]
    return {f for p in params for f in (*p.opts, *p.secondary_opts)}


def test_llm_commands_take_config_and_the_llm_options() -> None:
    for name in ("evaluate", "compare", "validate", "downstream", "generate", "quickstart"):
        assert {"--config", "--judge-model", "--llm-base-url", "--concurrency", "--no-cache",
                "--no-structured-output"} <= _flags(name), name
    for name in ("evaluate", "compare", "validate", "downstream", "generate", "quickstart"):
        assert {"--llm-breaker", "--llm-deadline"} <= _flags(name), name


def test_commands_take_the_input_evaluation_and_compute_options() -> None:
    for name in ("convert", "inspect", "validate", "evaluate", "compare", "generate", "downstream"):
        assert {"--from", "--output-from"} <= _flags(name), name
    for name in ("evaluate", "compare"):
        assert {"--embeddings", "--synthetic-embeddings", "--executor", "--ray-address", "--device",
                "--aggregate-scale", "--attribute-field"} <= _flags(name), name
    assert "--aggregate-scale" in _flags("quickstart") and "--attribute-field" in _flags("inspect")
    seen = flag_meanings()
    assert seen["--attribute"] == {"generate.attribute"}
    assert seen["--attribute-field"] == {"metrics.attribute_fields"}
    assert seen["--output-from"] == {"inputs.output_from"} and seen["--device"] == {"compute.device"}


def test_every_command_that_reads_data_takes_config_and_skip_invalid() -> None:
    for name in ("inspect", "evaluate", "compare", "validate", "downstream"):
        assert {"--config", "--skip-invalid"} <= _flags(name), name
    assert "--skip-invalid" in _flags("convert")
