#!/usr/bin/env bash
# Everything both `make run` and `make test` need before a server starts: the venv, .env, a settings check,
# the knowledge base, the spaCy pipeline and a trained model. Each step is skipped when its inputs are unchanged.
# Source it: it exports the settings and MODEL_PATH.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

scripts/bootstrap.sh
web/setup.sh
.venv/bin/python -m neurotriage.config init-env
eval "$(.venv/bin/python -m neurotriage.config env)" || exit 1
.venv/bin/python -m neurotriage.config check || exit 1
# Rasa's .run/credentials.yml and .run/endpoints.yml: the committed files plus the messaging channels and the
# lock store that .env switches on.
# GENERATED_CONFIG_DIR lets the test servers keep their own copies while `make run` is running.
export GENERATED_CONFIG_DIR=${GENERATED_CONFIG_DIR:-.run}
.venv/bin/python -m neurotriage.config credentials "$GENERATED_CONFIG_DIR" || exit 1

mkdir -p .run/logs models
export PATH="$PWD/.venv/bin:$PATH" TF_CPP_MIN_LOG_LEVEL=2 SQLALCHEMY_SILENCE_UBER_WARNING=1

# Knowledge base, then the spaCy pipeline generated from it (rebuilt when the content changes).
python -m neurotriage.kb load --database-url "$DATABASE_URL"
knowledge_hash=$(cat knowledge/*.yml neurotriage/nlu/spacy_builder.py neurotriage/nlu/lexicon.py neurotriage/nlu/training_exports.py | sha256sum | cut -c1-16)
if [ "$(cat .run/spacy/knowledge-hash 2>/dev/null)" != "$knowledge_hash" ]; then
    python -m neurotriage.nlu.spacy_builder
    echo "$knowledge_hash" > .run/spacy/knowledge-hash
fi

# Train only when the training inputs changed; the model's name carries their fingerprint.
# (of the dependencies, only those that shape a trained model count)
model_hash=$( { cat config.yml domain.yml .run/spacy/knowledge-hash $(find data neurotriage/nlu -type f -name '*.y*ml' -o -type f -name '*.py' | sort);
                grep -iE '^(rasa|rasa-sdk|tensorflow|tensorflow-text|spacy|spacy-lookups-data|numpy|scikit-learn|scipy)==' requirements.lock; } \
              | sha256sum | cut -c1-16)
export MODEL_PATH="models/neurotriage-$model_hash.tar.gz"
if [ ! -f "$MODEL_PATH" ]; then
    echo "Training the model (inputs changed) ..."
    started=$(date +%s)
    # Components that read the generated lexicon are invisible to Rasa's cache: force a full training when it changed.
    force=""
    [ "$(cat .run/trained-knowledge-hash 2>/dev/null)" = "$knowledge_hash" ] || force="--force"
    rasa train $force --fixed-model-name "neurotriage-$model_hash" --out models --quiet > .run/logs/train.log 2>&1 \
        || { tail -n 40 .run/logs/train.log; echo "Training failed: see .run/logs/train.log" >&2; exit 1; }
    echo "$(( $(date +%s) - started ))" > .run/train-seconds
    echo "$knowledge_hash" > .run/trained-knowledge-hash
    echo "Model trained in $(( $(date +%s) - started )) s: $MODEL_PATH"
fi
