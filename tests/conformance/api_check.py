#!/usr/bin/env python3
"""Schemathesis (property-based API testing) against the portal's JSON API.

    python3 tests/conformance/api_check.py --base http://127.0.0.1:8080 [--max-examples 150]

Reads /api/openapi.json, takes the API's base URL from its `servers` (kept on the portal given by
--base: only the path of a server URL pointing elsewhere is used), and runs every check
(`--checks all`: server errors, status codes, content types, response headers and schemas,
positive/negative data acceptance, unsupported methods, …) in all phases (coverage, fuzzing,
stateful), with a fixed seed and a bounded number of examples per operation. Schemathesis's own
report (failing request as a curl command, status and body of the response) is printed as is.
Exits 1 on any failure or error; the last line is `N passed, N failed` (per API operation).
"""

import argparse
import glob
import json
import os
import shutil
import subprocess
import sys
import tempfile
import urllib.parse
import urllib.request


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--base", required=True, help="portal base URL, e.g. http://127.0.0.1:8080")
    ap.add_argument("--spec", default="api/openapi.json", help="OpenAPI document, relative to --base")
    ap.add_argument("--max-examples", type=int, default=150, help="test cases per operation and phase")
    ap.add_argument("--seed", default="1", help="Hypothesis seed ('random' for none)")
    ap.add_argument("--timeout", type=int, default=240, help="seconds for the whole Schemathesis run")
    ap.add_argument("--keep", action="store_true", help="keep the report folder")
    args = ap.parse_args()

    base = args.base.rstrip("/") + "/"
    spec_url = urllib.parse.urljoin(base, args.spec)
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(spec_url, timeout=30) as resp:
            spec = json.load(resp)
    except Exception as e:  # noqa: BLE001
        print(f"FAIL {spec_url}: cannot load the OpenAPI document: {e}")
        print("0 passed, 1 failed")
        return 1

    # The API base URL from the document's servers, on the portal under test.
    servers = spec.get("servers") or [{"url": "/"}]
    server = urllib.parse.urljoin(spec_url, servers[0].get("url", "/"))
    s, b = urllib.parse.urlsplit(server), urllib.parse.urlsplit(base)
    if (s.scheme, s.netloc) != (b.scheme, b.netloc):
        print(f"note: servers[0].url {server} is not on {base}; using its path on {base}")
        server = urllib.parse.urlunsplit((b.scheme, b.netloc, s.path, "", ""))
    print(f"OpenAPI {spec.get('openapi')} at {spec_url}; API base URL {server}; "
          f"{sum(len([m for m in v if m in ('get', 'put', 'post', 'delete', 'patch', 'head', 'options')]) for v in spec.get('paths', {}).values())} operations",
          flush=True)

    exe = shutil.which("schemathesis") or shutil.which("st")
    if not exe:
        print("FAIL schemathesis is not installed (pip install schemathesis)")
        print("0 passed, 1 failed")
        return 1
    tmp = tempfile.mkdtemp(prefix="kitep-api-")
    cmd = [exe, "run", spec_url, "--url", server, "--checks", "all", "--max-examples", str(args.max_examples),
           "--continue-on-failure", "--no-color", "--request-timeout", "20",
           "--generation-database", "none", "--report", "json,junit", "--report-dir", tmp,
           "--report-json-path", os.path.join(tmp, "report.json"),
           "--report-junit-path", os.path.join(tmp, "junit.xml")]
    if args.seed != "random":
        cmd += ["--seed", args.seed]
    print("$ " + " ".join(cmd), flush=True)
    env = dict(os.environ, SCHEMATHESIS_TELEMETRY="false", NO_COLOR="1")
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=args.timeout, env=env, cwd=tmp)
        output, rc = proc.stdout + proc.stderr, proc.returncode
    except subprocess.TimeoutExpired as e:
        output = (e.stdout.decode() if isinstance(e.stdout, bytes) else e.stdout or "")
        print(output)
        print(f"FAIL schemathesis did not finish within {args.timeout} s")
        print("0 passed, 1 failed")
        return 1
    print(output.rstrip(), flush=True)

    report_path = os.path.join(tmp, "report.json")
    if not os.path.exists(report_path):
        found = glob.glob(os.path.join(tmp, "*.json"))
        report_path = found[0] if found else None
    if not report_path:
        print(f"FAIL schemathesis exit {rc} and no JSON report")
        print("0 passed, 1 failed")
        return 1
    with open(report_path, encoding="utf-8") as f:
        report = json.load(f)

    ops = report.get("operations", {})
    failing_ops = set()
    print("\n==== summary")
    for f in report.get("failures", []):
        print(f"FAIL {f.get('code')} {f.get('title')} ({f.get('severity')}): "
              f"{f.get('count')} in {', '.join(f.get('operations', []))}")
        failing_ops.update(f.get("operations", []))
    for e in report.get("errors", []):
        print(f"ERROR {json.dumps(e, ensure_ascii=False)[:400]}")
        for key in ("operation", "label"):
            if isinstance(e, dict) and e.get(key):
                failing_ops.add(e[key])
    warnings = {k: v for k, v in (report.get("warnings") or {}).items() if v}
    for k, v in warnings.items():
        print(f"warning {k}: {json.dumps(v, ensure_ascii=False)[:300]}")
    tc = report.get("test_cases", {})
    print(f"test cases: {tc.get('generated')} generated, {tc.get('with_failures')} with failures, "
          f"{tc.get('errored')} errored; phases: "
          + ", ".join(f"{k} {v.get('status')}" for k, v in report.get("phases", {}).items())
          + f"; {report.get('running_time', 0):.1f} s")
    tested = ops.get("tested", 0)
    errored = ops.get("errored", 0)
    failed = max(len(failing_ops), errored) + (1 if rc != 0 and not failing_ops and not errored else 0)
    passed = max(tested - len(failing_ops), 0)
    if args.keep:
        print(f"kept {tmp}")
    else:
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"{passed} passed, {failed} failed")
    return 1 if failed or rc != 0 else 0


if __name__ == "__main__":
    sys.exit(main())
