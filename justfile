# tradewire's everyday commands. Run them through ./tw (which installs uv and just on first use),
# or with `just` directly when both are on your PATH. `./tw` alone lists the recipes.

set shell := ["bash", "-euo", "pipefail", "-c"]

# uv installs exactly what uv.lock pins; change dependencies with `uv add` / `uv lock`.
export UV_FROZEN := "1"

# List the recipes
[private]
default:
    @just --list --unsorted

# Bring the whole system up in the foreground: Redis, trader, gateway, dashboard, recorder (Ctrl-C stops all; `./tw up --help`)
[group('run')]
up *args:
    uv run python deploy/local/launch.py up {{args}}

# Run one paper trader on up's Redis (flags: `./tw trader --help`)
[group('run')]
trader *args:
    uv run python deploy/local/launch.py trader {{args}}

# Serve the gateway API and WebSocket (port 8002 by default; `./tw gateway --help`)
[group('run')]
gateway *args:
    uv run python deploy/local/launch.py gateway {{args}}

# Serve the dashboard (port 8001 by default; `./tw dashboard --help`)
[group('run')]
dashboard *args:
    uv run python deploy/local/launch.py dashboard {{args}}

# Record every trade for the dashboard's history page (its own process; /healthz and /metrics on port 8005)
[group('run')]
recorder *args:
    uv run python deploy/local/launch.py recorder {{args}}

# Send notifications and take Telegram commands (needs NOTIFIER_DESTINATIONS; docs/notifier.md)
[group('run')]
notifier *args:
    uv run python deploy/local/launch.py notifier {{args}}

# Backtest strategies on stored or synthetic candles: run, compare, sweep, list (docs/backtesting.md)
[group('run')]
backtest *args:
    uv run python -m tradewire_trader backtest {{args}}

# Fetch candles through ccxt into var/data in Freqtrade's layout (`./tw download --help`)
[group('run')]
download *args:
    uv run python -m tradewire_trader download {{args}}

# Follow the live bus as JSON, one event per line (`./tw watch alpha --type trade_executed`; `--help`)
[group('run')]
watch *args:
    uv run python deploy/local/launch.py watch {{args}}

# redis-cli on up's Redis (`./tw redis-cli xrange 'tw:bot:{demo}:stream' - +`)
[group('run')]
redis-cli *args:
    uv run python deploy/local/launch.py redis-cli {{args}}

# Run every test (pass pytest arguments through, e.g. `./tw test shared -k resume`)
[group('check')]
test *args:
    # Compiled once here, the tests' many trader processes import ccxt in 0.5 s instead of 3 s of CPU,
    # also where PYTHONDONTWRITEBYTECODE is set (CI shells often set it, and then nothing is ever cached).
    UV_COMPILE_BYTECODE=1 uv run pytest {{args}}

# Build the trader, gateway and dashboard images (a Docker Engine, else a private podman in ~/.cache/tradewire)
[group('containers')]
images *args:
    uv run python -m tradewire_stack images {{args}}

# Build the images and run the whole compose stack for real: a trade, a stop, the recorder, then down -v
[group('containers')]
stack-test *args:
    uv run pytest tests/test_deploy_stack.py -s {{args}}

# Remove the private podman's folder (~/.cache/tradewire/containers) with every image and layer it holds
[group('containers')]
stack-clean:
    uv run python -m tradewire_stack clean

# Measure latency and throughput against baselines measured in the same run
[group('check')]
bench *args:
    uv run python -m bench {{args}}

# Lint with ruff, and the Dockerfiles with hadolint
[group('check')]
lint:
    uv run ruff check .
    uv run ruff format --check .
    uv run hadolint --failure-threshold warning deploy/*/Dockerfile

# Type-check with mypy
[group('check')]
typecheck:
    uv run mypy -p tradewire_schemas -p tradewire_bus -p tradewire_runtime -p tradewire_testing -p tradewire_stack -p tradewire_trader -p tradewire_gateway -p tradewire_dashboard -p tradewire_notifier

# Format the code with ruff
[group('dev')]
fmt:
    uv run ruff format .
    uv run ruff check --fix .

# Write the JSON Schema of every message to shared/schemas/jsonschema (commit the result)
[group('dev')]
schemas:
    uv run python -m tradewire_schemas.export shared/schemas/jsonschema

# Regenerate docs/settings.md from every service's Settings (commit the result)
[group('dev')]
settings-docs:
    uv run python -m tradewire_stack.settings_reference

# Refresh the vendored chart library (TradingView lightweight-charts, from npm) in the dashboard's static files
[group('dev')]
vendor-charts:
    cd services/dashboard/frontend && npm ci && npm run vendor
