"""The agent's judgement while listening, as cases applies it when opening a case."""
from contracts.common import AgentAssessment
from services.cases import domain
from services.cases.model import classify

ORDINARY = "Le paiement de l'appui pour mon commerce est en retard depuis trois mois à Kindia."


def test_without_an_assessment_the_rules_decide_alone():
    suggestion = classify(ORDINARY)
    assert domain.with_agent_assessment(suggestion, None) == suggestion
    assert domain.with_agent_assessment(suggestion, AgentAssessment()) == suggestion
    assert not suggestion.sensitive


def test_sounds_sensitive_restricts_an_ordinary_message_and_leaves_the_category_to_a_focal_point():
    assessed = domain.with_agent_assessment(classify(ORDINARY), AgentAssessment(sensitive=True))
    assert assessed.sensitive and not assessed.emergency
    assert assessed.category_code is None and assessed.sub_category is None
    assert "agent_assessment" in assessed.sensitive_rules
    assert domain.priority_of(assessed) == "high"


def test_a_life_in_danger_is_a_threat_to_life_emergency_whatever_the_words():
    assessed = domain.with_agent_assessment(classify(ORDINARY), AgentAssessment(life_in_danger=True))
    assert assessed.sensitive and assessed.emergency and assessed.category_code == 9
    assert domain.priority_of(assessed) == "emergency"


def test_the_agent_never_lowers_what_the_rules_found():
    abuse = classify("Le gardien m'a demandé de coucher avec lui pour avoir le kit.")
    assessed = domain.with_agent_assessment(abuse, AgentAssessment(sensitive=True))
    assert assessed.sensitive and assessed.category_code == abuse.category_code == 6
