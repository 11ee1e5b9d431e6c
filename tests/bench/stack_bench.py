"""What the generated app's stack costs: ``GET /health`` under ``wrk`` against a bare FastAPI app.

Run on its own (``python tests/bench/stack_bench.py``) or as part of ``bench.py``. It needs
``wrk`` on ``PATH`` (Debian: ``apt-get install wrk``) and skips with a message without it.

What it does:

1. Generates the all-blueprints project with this checkout's scaffold and installs it,
   non-editable, into its own venv (``uv``).
2. Serves each variant with one uvicorn worker (``uvicorn MODULE:make --factory``, uvicorn's
   defaults otherwise, so the access log is on for every variant): ``bare`` is ``FastAPI()``
   with the same ``/health`` endpoint (the project's own health router) and nothing else;
   ``layers:N`` is the bare app with the first N middleware of the generated app's own stack
   (``app.user_middleware``, as its default settings build it); ``all`` is the generated
   ``create_app()`` itself.
3. Loads each with ``wrk`` (``Accept-Encoding: gzip``, after a warm-up), round-robin so drift
   in the machine's load hits every variant alike, and reads requests/s from wrk and the
   server's CPU time from ``/proc/PID/stat``.

CPU microseconds per request is the figure to trust on a shared machine (wrk and the server
compete for the same cores, so requests/s moves with the load); the ratio is reported both ways.
Each variant's figure is its best round (least CPU per request, most requests/s): on a busy
machine the load only ever adds time, so the best round is the closest to the stack's cost.
Standard library only.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
PROJECT = "stackapp"
TARGET_RATIO = 0.85  # the all-blueprints app's throughput over the bare app's

VARIANTS_MODULE = '''\
"""Written by tests/bench/stack_bench.py: the apps it compares, chosen by STACK_VARIANT."""

import os

from fastapi import FastAPI

from {package}.main import create_app
from {package}.routes import health


def stack_names() -> list[str]:
    return [entry.cls.__name__ for entry in create_app().user_middleware]


def make() -> FastAPI:
    variant = os.environ["STACK_VARIANT"]
    if variant == "all":
        return create_app()
    stack = [] if variant == "bare" else create_app().user_middleware[: int(variant.split(":")[1])]
    # The same endpoint: the generated project's own health router.
    app = FastAPI(middleware=stack)
    app.include_router(health.router)
    return app


if __name__ == "__main__":
    print(" ".join(stack_names()))
'''


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def run_checked(cmd: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
    completed = subprocess.run(cmd, capture_output=True, text=True, check=False, **kwargs)
    if completed.returncode != 0:
        log(f"command failed ({completed.returncode}): {' '.join(map(str, cmd))}")
        log(completed.stdout[-4000:] + completed.stderr[-4000:])
        raise SystemExit(2)
    return completed


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def install_project(workdir: Path, scaffold: list[str]) -> tuple[Path, str]:
    """Generate the all-blueprints project and install it; return its venv's python, package."""
    out = workdir / "stack"
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    report = json.loads(
        run_checked(
            [*scaffold, "new", PROJECT, "--all", "--no-input", "--json", "-o", str(out)]
        ).stdout
    )
    venv = workdir / "stack-venv"
    uv = [sys.executable, "-m", "uv"]
    if not (venv / "bin" / "python").exists():
        run_checked([*uv, "venv", "--quiet", "--python", sys.executable, str(venv)])
    python = venv / "bin" / "python"
    install = [*uv, "pip", "install", "--quiet", "--python", str(python)]
    run_checked([*install, "--reinstall-package", PROJECT, report["path"]])
    package: str = report["package"]
    (workdir / "stack_variants.py").write_text(VARIANTS_MODULE.format(package=package))
    return python, package


def cpu_seconds(pid: int) -> float:
    """User + system time of a running process, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks


def wrk(url: str, seconds: int, connections: int) -> tuple[int, float]:
    """Run wrk; return (requests, requests per second)."""
    out = run_checked(
        ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "-H", "Accept-Encoding: gzip", url]
    ).stdout
    total = re.search(r"(\d+) requests in", out)
    rate = re.search(r"Requests/sec:\s+([\d.]+)", out)
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if total is None or rate is None or errors is not None:
        log(f"wrk's output is not a clean run:\n{out}")
        raise SystemExit(2)
    return int(total.group(1)), float(rate.group(1))


def serve_and_load(
    python: Path, workdir: Path, variant: str, seconds: int, connections: int
) -> dict[str, float]:
    """One round for one variant: start uvicorn, warm up, load, read its CPU time, stop."""
    port = free_port()
    env = {**os.environ, "STACK_VARIANT": variant, "PYTHONPATH": str(workdir)}
    env.pop("VIRTUAL_ENV", None)
    argv = [str(python), "-m", "uvicorn", "stack_variants:make", "--factory", "--port", str(port)]
    with (workdir / f"uvicorn-{variant.replace(':', '-')}.log").open("wb") as server_log:
        server = subprocess.Popen(
            argv, cwd=workdir, env=env, stdout=server_log, stderr=subprocess.STDOUT
        )
    try:
        url = f"http://127.0.0.1:{port}/health"
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(url, timeout=2):
                    break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    log(f"uvicorn did not serve {variant}; see {server_log.name}")
                    raise SystemExit(2) from None
                time.sleep(0.1)
        wrk(url, 1, connections)
        before = cpu_seconds(server.pid)
        requests, rate = wrk(url, seconds, connections)
        spent = cpu_seconds(server.pid) - before
    finally:
        server.terminate()
        server.wait(timeout=10)
    return {"rps": rate, "cpu_us": spent / requests * 1e6}


def measure(
    python: Path, workdir: Path, *, rounds: int, seconds: int, connections: int
) -> dict[str, Any]:
    """Every variant, ``rounds`` times round-robin; best rounds, ratios and each layer's cost."""
    names = run_checked([str(python), str(workdir / "stack_variants.py")], cwd=workdir)
    layers = names.stdout.split()
    variants = ["bare", *(f"layers:{n}" for n in range(1, len(layers) + 1)), "all"]
    samples: dict[str, list[dict[str, float]]] = {variant: [] for variant in variants}
    for number in range(rounds):
        log(f"round {number + 1}/{rounds}: {', '.join(variants)}")
        for variant in variants:
            samples[variant].append(serve_and_load(python, workdir, variant, seconds, connections))
    best = {
        variant: {
            "rps": max(s["rps"] for s in runs),
            "cpu_us": min(s["cpu_us"] for s in runs),
            "median_rps": statistics.median(s["rps"] for s in runs),
            "median_cpu_us": statistics.median(s["cpu_us"] for s in runs),
        }
        for variant, runs in samples.items()
    }
    layer_costs = []
    for index, name in enumerate(layers):
        before = best["bare" if index == 0 else f"layers:{index}"]
        after = best[f"layers:{index + 1}"]
        layer_costs.append(
            {
                "layer": name,
                "cpu_us": after["cpu_us"] - before["cpu_us"],
                "cpu_share": 1 - before["cpu_us"] / after["cpu_us"],
                "rps_share": 1 - after["rps"] / before["rps"],
            }
        )
    return {
        "layers": layers,
        "best": best,
        "layer_costs": layer_costs,
        "ratio_rps": best["all"]["rps"] / best["bare"]["rps"],
        "ratio_cpu": best["bare"]["cpu_us"] / best["all"]["cpu_us"],
        "target": TARGET_RATIO,
        "rounds": rounds,
        "seconds": seconds,
        "connections": connections,
    }


def run_stack_bench(
    workdir: Path, scaffold: list[str], *, rounds: int = 3, seconds: int = 3, connections: int = 16
) -> dict[str, Any] | None:
    """The whole measurement, or None (with a message) when wrk is not installed."""
    if shutil.which("wrk") is None:
        log("skipping the stack benchmark: wrk is not on PATH (Debian: apt-get install wrk)")
        return None
    if not Path("/proc/self/stat").exists():
        log("skipping the stack benchmark: it reads the server's CPU time from /proc")
        return None
    python, _package = install_project(workdir, scaffold)
    return measure(python, workdir, rounds=rounds, seconds=seconds, connections=connections)


def print_stack_report(result: dict[str, Any]) -> None:
    best = result["best"]
    print(
        f"stack: GET /health, one uvicorn worker, wrk -c{result['connections']} "
        f"{result['seconds']}s, best of {result['rounds']} rounds, Accept-Encoding: gzip"
    )
    print(f"{'app':<34} {'req/s':>9} {'CPU us/req':>11}")
    for variant, values in best.items():
        label = variant
        if variant.startswith("layers:"):
            label = "bare + " + " + ".join(result["layers"][: int(variant.split(":")[1])])
            label = label if len(label) <= 34 else "..." + label[-31:]
        print(f"{label:<34} {values['rps']:9.0f} {values['cpu_us']:11.1f}")
    print(f"{'layer':<34} {'CPU us':>9} {'CPU share':>11} {'req/s share':>12}")
    for cost in result["layer_costs"]:
        print(
            f"{cost['layer']:<34} {cost['cpu_us']:9.1f} {cost['cpu_share']:11.1%} "
            f"{cost['rps_share']:12.1%}"
        )
    verdict = "PASS" if result["ratio_cpu"] >= result["target"] else "FAIL"
    print(
        f"{verdict}  all-blueprints app / bare app: {result['ratio_cpu']:.3f} by CPU per request, "
        f"{result['ratio_rps']:.3f} by req/s (target >= {result['target']})"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3, help="round-robin rounds (default 3)")
    parser.add_argument("--seconds", type=int, default=3, help="wrk duration (default 3)")
    parser.add_argument("--connections", type=int, default=16, help="wrk -c (default 16)")
    parser.add_argument("--workdir", type=Path, help="keep the venv here (default: temp dir)")
    parser.add_argument("--json", action="store_true", help="print one JSON document on stdout")
    parser.add_argument("--strict", action="store_true", help="exit 1 when the target fails")
    args = parser.parse_args(argv)
    workdir = (args.workdir or Path(tempfile.mkdtemp(prefix="scaffold-stack-"))).resolve()
    workdir.mkdir(parents=True, exist_ok=True)
    scaffold = [sys.executable, "-m", "scaffold"]
    try:
        result = run_stack_bench(
            workdir,
            scaffold,
            rounds=args.rounds,
            seconds=args.seconds,
            connections=args.connections,
        )
    finally:
        if not args.workdir:
            shutil.rmtree(workdir, ignore_errors=True)
    if result is None:
        return 0
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print_stack_report(result)
    return 1 if args.strict and result["ratio_cpu"] < TARGET_RATIO else 0


if __name__ == "__main__":
    sys.exit(main())
