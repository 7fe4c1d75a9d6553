#!/bin/bash
# Rebuilds the base from .gpu/ (evals/device/prepare.py). Run by the device tool from the repository root:
#   bash evals/device/reader_sweep.sh   (carry: [".gpu"]; the committed weights moved out of the tree first)
# Reader training sweep on the device: every variant from the packaged base, in parallel, then the two best
# (validation articles, open setting) packed for the trip back.
export OMP_NUM_THREADS=2
source evals/device/setup.sh
nvidia-smi --query-gpu=name,memory.used --format=csv,noheader
COMMON="--squad $W/squad.json --base $W/base --dev-qa $R/evals/dev_qa.jsonl --reports $R/seeds --halueval $W/halueval.jsonl $EXTRA"
declare -A V=(
 [A]="--halueval-limit 3000"
 [B]="--halueval-limit 0"
 [C]="--halueval-limit 0 --halueval-cut 1.0"
 [D]="--halueval-limit 0 --epochs 4"
 [G]="--halueval-limit 0 --seed 14"
 [H]="--halueval-limit 0 --lr 2e-4"
)
for k in "${!V[@]}"; do
  mkdir -p $W/$k
  timeout ${TRAIN_LIMIT:-480} python3 -m rag.reader.train $COMMON ${V[$k]} --out $W/$k > $W/$k/log 2>&1 &
done
wait
python3 - <<PY
import json, os, subprocess
W, OUT = "$W", "$OUT"
rows = {}
for k in sorted(os.listdir(W)):
    f = os.path.join(W, k, "reader.json")
    if len(k) == 1 and os.path.exists(f):
        info = json.load(open(f))
        rows[k] = {"validation": info.get("validation"), "trained": {a: b for a, b in info.get("trained", {}).items() if "articles" not in a},
                   "log": open(os.path.join(W, k, "log")).read()[-1500:]}
done = {k: r for k, r in rows.items() if r["validation"]}
best = sorted(done, key=lambda k: -done[k]["validation"]["open_best_overall_f1"])[:2]
for k, r in rows.items():
    print(k, json.dumps(r["validation"]), r["trained"].get("seconds"), r["trained"].get("final_loss"))
json.dump({"rows": rows, "packed": best}, open(os.path.join(OUT, "summary.json"), "w"), indent=1)
for k in best:
    subprocess.run(f"cd {W}/{k} && tar cf - reader.safetensors reader.json | split -b 12M - {OUT}/{k}.tar.", shell=True, check=True)
print("packed", best)
PY
ls -la $OUT
