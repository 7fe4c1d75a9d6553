# Sourced by the sweeps (run from the repository root on the device, .gpu/ carried; see prepare.py): the training
# code alone as a package (rag/__init__ would import the whole product), stand-ins for the lemmatizer and stemmer
# that training never calls, the base model rebuilt, the data unpacked. Leaves W (the work folder) and R (the
# repository) set, and the working directory at W, so `python3 -m rag...` finds this package, not the checkout's.
export PYTHONUNBUFFERED=1 HF_HUB_OFFLINE=1 TOKENIZERS_PARALLELISM=false
OUT=${OUT:-/tmp/out}; mkdir -p $OUT
W=/tmp/work; mkdir -p $W/pkg/rag $W/stubs
cp rag/text.py $W/pkg/rag/; cp -r rag/reader rag/checker $W/pkg/rag/; touch $W/pkg/rag/__init__.py
rm -rf $W/pkg/rag/reader/weights $W/pkg/rag/checker/weights
printf 'def lemmatize(w, lang=None):\n    return w\n' > $W/stubs/simplemma.py
printf 'class Stemmer:\n    def __init__(self, lang): pass\n    def stemWord(self, w): return w\n' > $W/stubs/Stemmer.py
export PYTHONPATH=$W/pkg:$W/stubs
python3 evals/device/make_base.py $W/base || exit 1
gunzip -c .gpu/squad.json.gz > $W/squad.json; gunzip -c .gpu/halueval.jsonl.gz > $W/halueval.jsonl
R=$(pwd); cd $W
