"""`make train-classifier COUNTRY=GN` on real PostgreSQL: the country's confirmed cases are read from
cases' own table, and the new model replaces the current one only when its held-out sensitive and
emergency recall are not lower."""
import copy
import json
from datetime import UTC, datetime
from uuid import uuid4

from services.cases import repository, train

# A country's own way of saying things (here, Pular and local French) that the base data lacks.
GN_EXAMPLES = [
    ("Mi hulii, o wi'i mi o warat mi so mi hootii galle", 9, True, True),
    ("o yidi warde mi, mi hulii no feewi", 9, True, True),
    ("Le chef de secteur veut le kobo avant de mettre nos noms, sinon rien", 7, True, False),
    ("il faut donner le kobo au delegue pour etre servi", 7, True, False),
    ("Mi yettii on, jam tan, ballal ngal moƴƴii", 3, False, False),
    ("Ko honto distribution hakkunde lewru nde woni?", 1, False, False),
] * 3


def add_confirmed_case(conn, narrative, category, sensitive, emergency, part):
    case_id = uuid4()
    now = datetime.now(UTC)
    conn.execute(
        """INSERT INTO cases (case_id, reference, feedback_id, country, channel, language, narrative, received_at,
                              opened_at, status, sensitive, restricted, priority, deadline_kind, deadline_at,
                              consent_callback, consent_share)
           VALUES (%s, %s, %s, 'GN', 'sms', 'ff', %s, %s, %s, 'new', false, false, 'normal', 'acknowledge', %s,
                   false, false)""",
        [case_id, f"GN-2026-{uuid4().hex[:6]}", uuid4(), narrative, now, now, now])
    repository.record_example(conn, {
        "case_id": case_id, "country": "GN", "category_code": category, "sub_category": None,
        "sensitive": sensitive, "emergency": emergency, "part": part, "suggested_category": None,
        "classifier_version": "base-test", "confirmed_by": "focal-awa", "confirmed_at": now})


def run(models, database_url, corpus):
    return train.main(["--country", "GN", "--models", str(models), "--database-url", database_url,
                       "--corpus", str(corpus)])


class Training:
    """Training is the slow part (five folds, then the model). A run on exactly the data of the run
    recorded before may be given that run's thresholds and weights instead of computing them again:
    the same data gives the same model, as the last run of the test below shows by training afresh."""
    STEPS = ("choose_thresholds", "fit")

    def __init__(self, monkeypatch):
        self.monkeypatch = monkeypatch
        self.recorded = {}

    def record(self):
        for step in self.STEPS:
            real = getattr(train, step)

            def recording(*args, step=step, real=real):
                self.recorded[step] = (args, copy.deepcopy(result := real(*args)))
                return result
            self.monkeypatch.setattr(train, step, recording)

    def replay(self):
        for step in self.STEPS:
            def replaying(*args, step=step):
                recorded_args, result = self.recorded[step]
                assert args == recorded_args, f"{step} was given other data than the recorded run"
                return copy.deepcopy(result)
            self.monkeypatch.setattr(train, step, replaying)

    def afresh(self):
        self.monkeypatch.undo()


def test_training_for_a_country_reads_its_confirmed_cases_and_promotes_only_without_losing_recall(
        db, database_url, tmp_path, monkeypatch):
    training = Training(monkeypatch)
    db.execute("SET search_path TO cases")
    for i, example in enumerate(GN_EXAMPLES):
        add_confirmed_case(db, *example, part="held_out" if i % 6 in (1, 5) and i >= 6 else "train")
    models, corpus = tmp_path / "models", tmp_path / "corpus"
    corpus.mkdir()

    training.record()
    assert run(models, database_url, corpus) == 0  # no current model: the first one is promoted
    first = json.loads((models / "GN.json").read_text())
    assert first["version"].startswith("GN-")
    assert first["card"]["data"]["sources"] == {"cases": len(GN_EXAMPLES), "labelled_messages": 295}
    assert first["card"]["data"]["held_out"] == 113 + 4  # the older held-out messages and GN's own
    assert (models / "GN.card.md").read_text().startswith(f"# Classifier model {first['version']}")

    # A current model that hides and alerts on everything has recall 1.0: nothing trained may replace it.
    everything = {**first, "version": "GN-everything", "thresholds": {**first["thresholds"], "sensitive": 0.0,
                                                                       "emergency": 0.0}}
    (models / "GN.json").write_text(json.dumps(everything))
    training.replay()  # the same data as the first run
    assert run(models, database_url, corpus) == 1
    assert json.loads((models / "GN.json").read_text())["version"] == "GN-everything"

    # One that never says yes by itself keeps only the rules' recall: the new model (rules + model) beats it.
    rules_only = {**first, "version": "GN-rules-only", "thresholds": {**first["thresholds"], "sensitive": 1.1,
                                                                       "emergency": 1.1}}
    (models / "GN.json").write_text(json.dumps(rules_only))
    training.afresh()  # trained again from the database: the same version below proves it reproducible
    assert run(models, database_url, corpus) == 0
    assert json.loads((models / "GN.json").read_text())["version"] == first["version"]  # reproducible
