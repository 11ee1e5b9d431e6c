"""The sdk blueprint end to end: export the schema, generate a TypeScript client, call the app.

``scripts/export_openapi.py`` writes the all-blueprints project's schema; ``@hey-api/openapi-ts``
(from npm) generates a client from it; ``tsc`` type-checks the client and a small program that
uses it (strict mode, so a wrong type in the schema fails here); node runs the program against
the app served by uvicorn and prints the body it got. The npm packages are installed once per
test session into a temporary folder (npm's own cache makes later sessions quick). node and
npm are Debian's (``apt-get install nodejs npm``; .ci/run does this): a missing one fails.
"""

from __future__ import annotations

import json
import shutil
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from pathlib import Path

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(900)]

NPM_TIMEOUT = 600
# 0.95 is the newest openapi-ts that runs on Debian 12's node 20 (later ones want node 22).
PACKAGE_JSON = {
    "name": "scaffold-sdk-check",
    "private": True,
    "devDependencies": {
        "@hey-api/openapi-ts": "0.95.0",
        "typescript": "~5.9.0",
        "@types/node": "^20",
    },
}
TSCONFIG = {
    "compilerOptions": {
        "target": "es2022",
        "module": "commonjs",
        "moduleResolution": "node10",
        "lib": ["es2022", "dom", "dom.iterable"],
        "types": ["node"],
        "strict": True,
        "noEmitOnError": True,
        "skipLibCheck": True,
        "outDir": "dist",
    },
    "include": ["client", "main.ts"],
}
# Calls two operations by the names their tag-based operation IDs give them.
MAIN_TS = """\
import { client } from "./client/client.gen";
import { healthHealth, metaInfo } from "./client";

async function main(): Promise<void> {
  client.setConfig({ baseUrl: process.argv[2] });
  const health = await healthHealth();
  const info = await metaInfo();
  if (health.error !== undefined || info.error !== undefined) {
    throw new Error(`the API answered with an error: ${health.response.status}`);
  }
  // Type-checked against the schema: the literal "ok", and the app's name as a string.
  const status: "ok" | undefined = health.data?.status;
  const name: string | undefined = info.data?.app_name;
  console.log(JSON.stringify({ health: { status }, name }));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
"""


@pytest.fixture(scope="session")
def npm_tools(tmp_path_factory: pytest.TempPathFactory, tools: Any) -> Path:
    """A folder with openapi-ts, tsc and node's types installed, once per test session."""
    missing = [tool for tool in ("node", "npm") if shutil.which(tool) is None]
    if missing:
        pytest.fail(
            f"{' and '.join(missing)} missing: apt-get install -y nodejs npm (.ci/run does this)",
            pytrace=False,
        )
    folder = tmp_path_factory.mktemp("npm")
    (folder / "package.json").write_text(json.dumps(PACKAGE_JSON, indent=2), encoding="utf-8")
    tools.run(
        ["npm", "install", "--no-audit", "--no-fund", "--loglevel=error"],
        cwd=folder,
        timeout=NPM_TIMEOUT,
    )
    return folder


def test_typescript_client_calls_the_running_app(
    all_project: Any, npm_tools: Path, log_dir: Path, tools: Any
) -> None:
    work = npm_tools / f"client-{all_project.path.parent.name}"  # inside: finds node_modules
    work.mkdir()
    schema = work / "openapi.json"
    all_project.run(all_project.bin("python"), "scripts/export_openapi.py", "-o", schema)
    operation_ids = {
        operation["operationId"]
        for path in json.loads(schema.read_text(encoding="utf-8"))["paths"].values()
        for operation in path.values()
    }
    assert {"health-health", "meta-info"} <= operation_ids, operation_ids

    bin_dir = npm_tools / "node_modules" / ".bin"
    tools.run([bin_dir / "openapi-ts", "-i", schema, "-o", "client"], cwd=work, timeout=NPM_TIMEOUT)
    (work / "tsconfig.json").write_text(json.dumps(TSCONFIG, indent=2), encoding="utf-8")
    (work / "main.ts").write_text(MAIN_TS, encoding="utf-8")
    tools.run([bin_dir / "tsc", "-p", "."], cwd=work, timeout=NPM_TIMEOUT)

    with all_project.uvicorn(log_dir) as server:
        proc = tools.run(["node", work / "dist" / "main.js", server.url], cwd=work, timeout=60)
    body = json.loads(proc.stdout)
    assert body == {"health": {"status": "ok"}, "name": all_project.path.name}
