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


def pinned(cpu: int) -> list[str]:
    """A command prefix that keeps the command on one CPU, or none where that cannot be done.

    With the server on one core and wrk on the other they stop taking turns on both, which is
    most of the round-to-round spread seen on a 2-core machine.
    """
    if shutil.which("taskset") is None or cpu not in os.sched_getaffinity(0):
        return []
    return ["taskset", "--cpu-list", str(cpu)]


SERVER_CPU, LOAD_CPU = 0, 1


def wrk(url: str, seconds: int, connections: int) -> tuple[int, float]:
    """Run wrk; return (requests, requests per second)."""
    out = run_checked(
        [
            *pinned(LOAD_CPU),
            *(
                "wrk",
                "-t1",
                f"-c{connections}",
                f"-d{seconds}s",
                "-H",
                "Accept-Encoding: gzip",
                url,
            ),
        ]
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
    argv = [
        *pinned(SERVER_CPU),
        *(str(python), "-m", "uvicorn", "stack_variants:make", "--factory", "--port", str(port)),
    ]
    with (workdir / f"uvicorn-{variant.replace(':', '-')}.log").open("wb") as server_log:
        server = subprocess.Popen(
            argv,
            cwd=workdir,
            env=env,
            stdout=server_log,
            stderr=subprocess.STDOUT,
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


def callgrind_total(out_prefix: Path) -> int:
    """The instruction total callgrind wrote for a run (the largest, over its dump files)."""
    totals = [
        int(line.split()[1])
        for dump in out_prefix.parent.glob(out_prefix.name + "*")
        for line in dump.read_text(errors="replace").splitlines()
        if line.startswith(("summary:", "totals:"))
    ]
    if not totals:
        log(f"callgrind wrote no totals to {out_prefix}*")
        raise SystemExit(2)
    return max(totals)


def count_instructions(python: Path, workdir: Path, variant: str, requests: int) -> float:
    """Instructions the server runs per ``GET /health``, counted by callgrind.

    The server runs under ``valgrind --tool=callgrind`` with counting off while it starts;
    after a warm-up, counting is switched on (``callgrind_control -i on``) for ``requests``
    keep-alive requests sent one after the other, then off again. Unlike seconds, the count
    does not move with what else the machine is doing: the same variant gives the same figure
    to within a fraction of a percent. It leaves out the kernel's work (the socket calls),
    which is the same for every variant.
    """
    port = free_port()
    name = variant.replace(":", "-")
    out_prefix = workdir / f"callgrind-{name}.out"
    for stale in workdir.glob(out_prefix.name + "*"):
        stale.unlink()
    env = {
        **os.environ,
        "STACK_VARIANT": variant,
        "PYTHONPATH": str(workdir),
        "PYTHONHASHSEED": "0",
    }
    env.pop("VIRTUAL_ENV", None)
    argv = [
        "valgrind",
        "--tool=callgrind",
        "--instr-atstart=no",
        f"--callgrind-out-file={out_prefix}",
        str(python),
        *("-m", "uvicorn", "stack_variants:make", "--factory", "--port", str(port)),
    ]
    with (workdir / f"callgrind-{name}.log").open("wb") as server_log:
        server = subprocess.Popen(
            argv, cwd=workdir, env=env, stdout=server_log, stderr=subprocess.STDOUT
        )
    try:
        connection = wait_for_keepalive(server, port, server_log.name)
        get_health(connection, 200)
        control = ["callgrind_control", "--instr=on", str(server.pid)]
        run_checked(control)
        get_health(connection, requests)
        run_checked([*control[:1], "--instr=off", str(server.pid)])
        connection.close()
    finally:
        server.terminate()
        server.wait(timeout=60)
    return callgrind_total(out_prefix) / requests


def wait_for_keepalive(server: subprocess.Popen[bytes], port: int, log_name: str) -> Any:
    """An open keep-alive connection to the server, once it answers (slowly, under valgrind)."""
    import http.client  # only this mode needs it

    deadline = time.monotonic() + 180
    while True:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        try:
            connection.request("GET", "/health")
            connection.getresponse().read()
            return connection
        except OSError:
            connection.close()
            if server.poll() is not None or time.monotonic() > deadline:
                log(f"the server under callgrind did not answer; see {log_name}")
                raise SystemExit(2) from None
            time.sleep(0.5)


def get_health(connection: Any, count: int) -> None:
    for _ in range(count):
        connection.request("GET", "/health", headers={"Accept-Encoding": "gzip"})
        response = connection.getresponse()
        response.read()
        if response.status != 200:
            log(f"GET /health answered {response.status}")
            raise SystemExit(2)


def measure_instructions(
    python: Path, workdir: Path, variants: list[str], requests: int
) -> dict[str, float]:
    """Instructions per request for every variant (one run each: the count is steady)."""
    counts = {}
    for variant in variants:
        log(f"callgrind: {variant} ({requests} requests)")
        counts[variant] = count_instructions(python, workdir, variant, requests)
    return counts


def measure(
    python: Path,
    workdir: Path,
    *,
    rounds: int,
    seconds: int,
    connections: int,
    instruction_requests: int = 0,
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
    counts = (
        measure_instructions(python, workdir, variants, instruction_requests)
        if instruction_requests
        else {}
    )
    layer_costs = []
    for index, name in enumerate(layers):
        below = "bare" if index == 0 else f"layers:{index}"
        before, after = best[below], best[f"layers:{index + 1}"]
        cost = {
            "layer": name,
            "cpu_us": after["cpu_us"] - before["cpu_us"],
            "cpu_share": 1 - before["cpu_us"] / after["cpu_us"],
            "rps_share": 1 - after["rps"] / before["rps"],
        }
        if counts:
            cost["instructions"] = counts[f"layers:{index + 1}"] - counts[below]
            cost["instruction_share"] = 1 - counts[below] / counts[f"layers:{index + 1}"]
        layer_costs.append(cost)
    return {
        "instructions": counts,
        "ratio_instructions": counts["bare"] / counts["all"] if counts else None,
        "instruction_requests": instruction_requests,
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
    workdir: Path,
    scaffold: list[str],
    *,
    rounds: int = 3,
    seconds: int = 3,
    connections: int = 16,
    instruction_requests: int | None = None,
) -> dict[str, Any] | None:
    """The whole measurement, or None (with a message) when wrk is not installed.

    ``instruction_requests``: requests counted under callgrind per variant; None counts 500
    where valgrind is installed and says why not where it is not; 0 skips the count.
    """
    if instruction_requests is None:
        instruction_requests = 500
        if shutil.which("valgrind") is None or shutil.which("callgrind_control") is None:
            log("no instruction counts: valgrind is not on PATH (Debian: apt-get install valgrind)")
            instruction_requests = 0
    if shutil.which("wrk") is None:
        log("skipping the stack benchmark: wrk is not on PATH (Debian: apt-get install wrk)")
        return None
    if not Path("/proc/self/stat").exists():
        log("skipping the stack benchmark: it reads the server's CPU time from /proc")
        return None
    python, _package = install_project(workdir, scaffold)
    return measure(
        python,
        workdir,
        rounds=rounds,
        seconds=seconds,
        connections=connections,
        instruction_requests=instruction_requests,
    )


def stack_verdict(result: dict[str, Any]) -> tuple[str, float]:
    """The figure the target is judged on: instructions when counted (steady), else CPU time."""
    if result.get("ratio_instructions") is not None:
        return "instructions per request", result["ratio_instructions"]
    return "CPU per request", result["ratio_cpu"]


def print_stack_report(result: dict[str, Any]) -> None:
    best, counts = result["best"], result.get("instructions") or {}
    print(
        f"stack: GET /health, one uvicorn worker, wrk -c{result['connections']} "
        f"{result['seconds']}s, best of {result['rounds']} rounds, Accept-Encoding: gzip"
        + (f"; callgrind over {result['instruction_requests']} requests" if counts else "")
    )
    print(f"{'app':<34} {'req/s':>9} {'CPU us/req':>11} {'instr/req':>11}")
    for variant, values in best.items():
        label = variant
        if variant.startswith("layers:"):
            label = "bare + " + " + ".join(result["layers"][: int(variant.split(":")[1])])
            label = label if len(label) <= 34 else "..." + label[-31:]
        instructions = f"{counts[variant]:11.0f}" if counts else f"{'-':>11}"
        print(f"{label:<34} {values['rps']:9.0f} {values['cpu_us']:11.1f} {instructions}")
    print(f"{'layer':<34} {'CPU us':>9} {'CPU share':>11} {'req/s share':>12} {'instr share':>12}")
    for cost in result["layer_costs"]:
        share = (
            f"{cost['instruction_share']:12.1%}" if "instruction_share" in cost else f"{'-':>12}"
        )
        print(
            f"{cost['layer']:<34} {cost['cpu_us']:9.1f} {cost['cpu_share']:11.1%} "
            f"{cost['rps_share']:12.1%} {share}"
        )
    basis, ratio = stack_verdict(result)
    verdict = "PASS" if ratio >= result["target"] else "FAIL"
    by_instructions = f"{result['ratio_instructions']:.3f} by instructions, " if counts else ""
    print(
        f"{verdict}  all-blueprints app / bare app: {by_instructions}"
        f"{result['ratio_cpu']:.3f} by CPU per request, {result['ratio_rps']:.3f} by req/s "
        f"(target >= {result['target']}, judged by {basis})"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3, help="round-robin rounds (default 3)")
    parser.add_argument("--seconds", type=int, default=3, help="wrk duration (default 3)")
    parser.add_argument("--connections", type=int, default=16, help="wrk -c (default 16)")
    parser.add_argument("--workdir", type=Path, help="keep the venv here (default: temp dir)")
    parser.add_argument(
        "--instructions",
        type=int,
        default=None,
        metavar="N",
        help="requests counted under callgrind per variant (default 500 with valgrind; 0: off)",
    )
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
            instruction_requests=args.instructions,
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
    return 1 if args.strict and stack_verdict(result)[1] < TARGET_RATIO else 0


if __name__ == "__main__":
    sys.exit(main())
