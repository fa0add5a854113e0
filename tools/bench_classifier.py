"""Time the first classification of one message on one core: `make bench-classifier`.

Classifies every labelled message (the older set and the corpus) many times over, one at a time,
and prints the CPU time per message (median, 95th percentile, mean) of the statistical classifier with
its rules floor, and of the phrase rules it replaces, for comparison. No text is printed.
"""
import os
import statistics
import sys
import time

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # one core, as a cases worker has

from services.cases import classifier, model  # noqa: E402
from services.cases.evaluate import configured_phrases  # noqa: E402
from services.cases.train import load_corpus, load_labelled  # noqa: E402

ROUNDS = 5


def timed(classify, texts: list[str]) -> list[float]:
    for text in texts[:50]:  # warm the caches of the first calls
        classify(text)
    times = []
    for _ in range(ROUNDS):
        for text in texts:
            # CPU time of this thread: what one core spends, not what other processes on the machine take.
            start = time.thread_time()
            classify(text)
            times.append(time.thread_time() - start)
    return times


def line(name: str, times: list[float]) -> str:
    ordered = sorted(times)
    return (f"{name:<36} median {statistics.median(ordered) * 1000:6.3f} ms   "
            f"p95 {ordered[int(len(ordered) * 0.95)] * 1000:6.3f} ms   mean {statistics.fmean(ordered) * 1000:6.3f} ms")


def main() -> int:
    texts = [example.text for example in load_labelled() + load_corpus()]
    phrases = configured_phrases()
    loaded = model.load(model.model_path(None))
    print(f"{len(texts)} messages x {ROUNDS}, model {loaded.version}")
    print(line("model + rules floor + explanation", timed(
        lambda text: model.classify(text, phrases, model=loaded), texts)))
    print(line("model + rules floor", timed(
        lambda text: model.classify(text, phrases, model=loaded, explain=False), texts)))
    print(line("phrase rules alone (before)", timed(lambda text: classifier.suggest(text, phrases), texts)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
