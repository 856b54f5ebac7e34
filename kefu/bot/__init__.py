"""Build and run the Rasa bot (``bot/``), by role.

* :mod:`kefu.bot.project`: where the Rasa project and its generated inputs live.
* :mod:`kefu.bot.lookups`: the product, brand and category lookup tables, from the shop.
* :mod:`kefu.bot.training`: fingerprinted ``rasa train`` (only when an input changed).
* :mod:`kefu.bot.commands`: the environment and command lines of the servers and tools.
* :mod:`kefu.bot.rasa_cli`: ``kefu rasa ...``, Rasa's own commands with kefu's paths.
"""

from kefu.bot.commands import (
    actions_command,
    rasa_env,
    rasa_launcher,
    rasa_test_command,
    server_command,
    shell_command,
    validate_command,
)
from kefu.bot.lookups import LOOKUP_ENTITIES, build_lookup_tables, generate_lookups
from kefu.bot.project import (
    MODEL_NAME,
    BotBuildError,
    _rasa_executable,
    bot_dir,
    lookups_path,
    rasa_executable,
)
from kefu.bot.training import (
    FINGERPRINT_FILE,
    TRAIN_OPTIONS,
    current_model,
    default_model_dir,
    fingerprint,
    train_bot,
)

__all__ = [
    "FINGERPRINT_FILE",
    "LOOKUP_ENTITIES",
    "MODEL_NAME",
    "TRAIN_OPTIONS",
    "BotBuildError",
    "_rasa_executable",
    "actions_command",
    "bot_dir",
    "build_lookup_tables",
    "current_model",
    "default_model_dir",
    "fingerprint",
    "generate_lookups",
    "lookups_path",
    "rasa_env",
    "rasa_launcher",
    "rasa_executable",
    "rasa_test_command",
    "server_command",
    "shell_command",
    "train_bot",
    "validate_command",
]
