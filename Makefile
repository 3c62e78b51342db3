# NeuroTriage. `make run` starts the assistant; `make test` runs every test. Both set everything up themselves.
.PHONY: run test shell web lock install validate evaluate review-sheet bench clean help production production-stop production-status

help:
	@echo "make run           set up (venv, knowledge base, model) and run the assistant until Ctrl-C"
	@echo "make test          set up and run every test (what CI runs)"
	@echo "make shell         talk to the assistant in the terminal (rasa shell with the action server)"
	@echo "make bench         run the benchmarks; figures are printed and written to results/"
	@echo "make evaluate      NLU figures on the hold-out (tests/nlu/holdout.yml), written to results/nlu_eval.json"
	@echo "make review-sheet  export the clinical content for sign-off to results/review-sheet.md"
	@echo "make lock          regenerate requirements.lock from requirements.in"
	@echo "make production    PostgreSQL, Redis, two Rasa instances and the action server behind nginx (docs/production.md)"

run:
	@scripts/run.sh

test:
	@scripts/test.sh

shell:
	@scripts/shell.sh

web:
	@web/setup.sh && .venv/bin/python -m web.server

install:
	@scripts/bootstrap.sh

lock:
	@scripts/lock.sh

validate:
	@bash -c 'source scripts/prepare.sh && rasa data validate --fail-on-warnings'

evaluate:
	@bash -c 'source scripts/prepare.sh && python -m neurotriage.nlu.evaluate --model "$$MODEL_PATH"'

bench:
	@scripts/bench.sh

review-sheet: install
	@mkdir -p results
	@.venv/bin/python -m neurotriage.kb export-review --format md --out results/review-sheet.md

production:
	@scripts/production.sh start

production-stop:
	@scripts/production.sh stop

production-status:
	@scripts/production.sh status

clean:
	rm -rf .run models results .rasa
