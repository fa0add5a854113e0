"""The phrase rules of the first classification (pure: no I/O).

Cases classify with the statistical model (services/cases/model.py); these rules are its floor
(`floor`: the sensitive phrases the model cannot overrule). `suggest` is the rules alone, kept to
measure them (`make evaluate-classifier`) beside the model.

Rules are phrases in French and English, written on normalised text (lower
case, accents removed, punctuation turned into spaces), so that "détournement",
"DETOURNEMENT" and "detournement" match alike. A word ending in `*` matches
any word it begins ("menac*" matches menace, menacé, menaces). Misspellings
that people really type are listed as their own phrases. Countries add
phrases in national languages through configuration (`classifier.phrases`).

The sensitive rules are deliberately broad: a message wrongly hidden from
agents is recoverable, one wrongly exposed is not. For the same reason a
message that no rule recognises at all (neither sensitive nor ordinary) is
held as possibly sensitive (reason `unplaced`), with no category: a focal
point triages it. Phrases alone miss sensitive messages told in words nobody
listed; this fallback is what keeps recall high on messages the rules were not
written for. `python -m
services.cases.evaluate` measures them on a labelled set of messages.
"""
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache

# Sensitive rules, most serious first: the first that matches gives the suggested category.
SENSITIVE_RULES: dict[str, tuple[int, tuple[str, ...]]] = {
    "threat_to_life": (9, (
        "menac* de mort", "menac* de me tuer", "menac* de nous tuer", "menac* de le tuer", "menac* de la tuer",
        "menasse* de mort", "me tuer", "nous tuer", "te tuer", "le tuer", "la tuer", "les tuer", "me tue",
        "tuera", "tueront", "va tuer", "vont tuer", "veut tuer", "tuer mon", "tuer ma", "tuer mes",
        "danger de mort", "en danger", "vie est en danger", "peur pour ma vie", "peur pour sa vie",
        "suicid*", "me suicide", "mettre fin a mes jours", "fin a mes jours", "fin a ma vie", "envie de mourir",
        "veux mourir", "vais mourir", "me pendre", "couteau", "machette", "fusil", "pistolet", "arme", "armes",
        "poignard*", "attaqu*", "tirer sur", "arme a feu",
        "kill me", "kill us", "kill him", "kill her", "kill my", "kill them", "kil me", "going to kill",
        "will kill", "threaten* to kill", "threatned to kill", "death threat*", "threat* my life",
        "life is in danger", "life in danger", "in danger", "fear for my life", "afraid for my life",
        "suicide", "end my life", "take my life", "want to die", "wants to die", "knife", "machete", "gun",
        "guns", "weapon*", "attacked", "shot at", "shoot",
        "faire disparaitre", "me faire du mal", "nous faire du mal", "pour mourir", "avale* des medicaments",
        "poison*", "bruler notre", "bruler la maison", "brule* notre", "ils me cherchent", "il me cherche",
        "dey find me", "go kill", "ending my life", "end it all", "overdose", "hurt me", "harm me", "burn our",
        "burn the house", "looking for me",
    )),
    "sexual_exploitation_abuse": (6, (
        "abus sexuel*", "abuse sexuel*", "abus sexu*", "harcel*", "harcelement", "harassement", "viol",
        "viole", "violee", "violer", "violes", "exploitation sexuel*", "coucher avec", "couche avec",
        "couchait avec", "couchez avec", "dormir avec", "faveur* sexuel*", "relation* sexuel*",
        "rapport* sexuel*", "relation intime", "attouchement*", "m a touche*", "ma touche*", "touch* mes seins",
        "touch* ma fille", "sexe", "sexuel*", "sexuelle*", "prostitu*", "nue", "nues", "tout nu",
        "sa copine", "sa petite amie", "sa maitresse", "sortir avec lui", "sortir avec moi",
        "rape*", "raped", "sexual*", "sexualy", "sex", "sleep with", "slept with", "sleep wit",
        "sleeping with", "have sex", "touched me", "touch me", "touched my", "molest*", "harass*",
        "girlfriend", "naked", "nude*", "sugar daddy", "in exchange for sex", "favours", "favors",
        "sort* avec lui", "sort* avec moi", "contre une nuit", "une nuit avec", "en echange", "in exchange",
        "poitrine", "seins", "fesses", "cuisse*", "mis la main sur", "put his hand*", "mineure", "underage",
        "minor girl", "dirty messages", "messages sales", "come to his house", "venir chez lui",
        "aller chez lui", "his room", "sa chambre",
    )),
    "protection_need": (10, (
        "violence*", "violent*", "battu", "battue", "battus", "me bat", "nous bat", "la bat", "les bat",
        "bat ma", "bat mon", "bat les", "frappe ma", "frappe mon", "frappe les enfants", "maltrait*",
        "mal traite*", "trafic*", "traite des", "traite de personnes", "passeur*", "enfant* travaill*",
        "travail des enfants", "travail force", "travaux forces", "mariage force", "mariage precoce",
        "marier de force", "marier ma fille", "marier ma soeur", "donner en mariage", "excision", "exciser",
        "mgf", "mutilation*", "enlevement*", "enlevee", "enleve* par des", "kidnapp*", "sequestr*",
        "porte disparu", "disparu depuis", "disparue", "non accompagne*",
        "esclav*", "vbg", "passeport confisqu*", "garde mon passeport", "garde nos passeports",
        "pris mon passeport", "enferme*", "chasse de la maison", "dans la rue avec les enfants",
        "traffick*", "trafficker*", "smuggler*", "child labo*", "forced labo*", "forced marriage",
        "early marriage", "child marriage", "marry her off", "married off", "fgm",
        "kidnap*", "abduct*", "missing child", "unaccompanied", "separated child*", "abuse", "abused",
        "abusing", "beats me", "beat me", "beats my", "beating", "beaten", "gbv",
        "domestic", "slave*", "locked up", "locked me", "took my passport", "confiscated",
        "exploit*", "au lieu de l ecole", "instead of school", "children are working", "children working",
        "child working", "gold mine", "mine d or", "orpaillage", "alone at", "tout seul", "toute seule",
        "seul a la", "seule a la", "enfant abandonne*", "vendue a", "vendu a un homme", "sold to", "sold me",
        "married at", "mariee a", "prend* les passeports", "prend* nos passeports", "takes our passports",
        "arabie", "liban", "koweit", "lebanon", "kuwait", "saudi",
    )),
    "fraud_corruption": (7, (
        "corrupt*", "corromp*", "pot de vin", "pots de vin", "pot devin", "bakchich", "backchich", "bakshish",
        "detourn*", "fraud*", "escroc*", "escroqu*", "arnaqu*", "arnaque*", "vol d argent", "vol des", "vole",
        "volee",
        "voles", "voleur*", "volent", "payer pour", "paye pour", "payes pour", "payer avant", "faire payer",
        "fait payer", "demand* de l argent", "demand* l argent", "exig* de l argent", "exig* l argent",
        "donner de l argent", "donne de l argent", "donner l argent pour", "commission", "racket*", "rakett*",
        "fausse* liste*", "faux beneficiaire*", "nom* fictif*", "liste gonfl*", "vendu les", "vend les",
        "revend*", "pris une partie", "prend une partie", "prennent une partie", "retenu une partie",
        "retient une partie", "coupe une partie", "gombo", "tchoko", "donne* la motivation",
        "donner une motivation", "cadeau pour",
        "payer l agent", "bribe*", "brib*", "kickback*", "kick back", "steal*", "stole*", "stolen", "theft",
        "thief", "thieves", "embezzl*", "scam*", "pay money", "paid money", "pay to be", "pay before",
        "asked me for money", "asked us for money", "ask for money", "asking for money",
        "asked for money", "asked me to pay", "asked us to pay", "demanded money", "extort*", "ghost*",
        "sold the", "selling the", "took part of", "takes part of", "deduct*", "cut from",
        "garde* une partie", "keeps part", "eating the money", "eat the money", "mange* l argent",
        "bouffe* l argent", "withdrawn from my", "retire* de mon compte", "gnf pour", "fcfa pour", "cfa pour",
        "francs pour", "naira pour",
    )),
    "staff_misconduct": (8, (
        "insult*", "injuri*", "m a frapp*", "ma frapp*", "a frapp*", "frapp*", "gifl*", "menac*", "menasse*",
        "impoli*", "mepris*", "humili*", "discrimin*", "favoritis*", "nepotis*", "confidentialit*",
        "confidentiel*", "divulg*", "partag* mes informations", "mes informations", "mes donnees",
        "mes photos", "crie sur", "crier sur", "ivre", "saoul", "agress*", "bagarre",
        "hit me", "slapped", "slap", "rude", "rudely", "shout*", "yell*", "drunk", "threat*", "intimidat*",
        "humiliat*", "discriminat*", "favouritism", "favoritism", "nepotism", "confidential*",
        "shared my", "my information", "my data", "my photo*", "disrespect*", "misconduct", "abus de pouvoir",
        "abuse of power",
        "cri* dessus", "chass* du bureau", "comme un chien", "ses parents", "sa famille seulement",
        "seulement a ses", "his relatives", "his family only", "a dit a tout", "raconte* a tout",
        "told my family", "told everyone", "told everybody", "told the whole", "vih", "hiv", "sida", "aids",
        "seropositi*", "statut serologique",
    )),
}

# Two weaker cues that together suggest a sensitive message: paying (or a sum of money) to get
# onto a list, into a distribution or a kit is the commonest fraud, and people rarely say "bribe".
COMBINED_RULES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "fraud_corruption": (
        ("payer", "paye", "payes", "payent", "paie", "paient", "payons", "pay", "paid", "paying", "collect*",
         "gnf", "fcfa", "cfa", "naira", "dalasi", "cedis", "francs"),
        ("liste", "list", "registration", "register", "enregistr*", "inscri*", "entrer", "porte", "carte*",
         "kit*", "distribution", "formation", "avant", "before", "everybody", "tout le monde", "chaque",
         "delegue", "chef", "agent", "staff"),
    ),
}

# A message no rule places anywhere is held as possibly sensitive, under this reason.
UNPLACED = "unplaced"
AGENT = "agent_assessment"   # the agent who heard the person judged it sensitive (see domain.with_agent_assessment)

# Ordinary categories: the one with the most matching phrases is suggested.
ORDINARY_RULES: dict[str, tuple[int, tuple[str, ...]]] = {
    "information_request": (1, (
        "qmark", "question*", "quand", "comment", "est ce que", "information*", "renseignement*", "savoir", "quelle date",
        "quel jour", "ou se trouve", "qui dois je", "prochaine", "when", "how", "where", "what", "which",
        "info", "is it true", "do i need", "can i", "could you tell",
        "combien", "c koi", "c quoi", "kan est ce", "lieu de", "adresse", "procedure", "documents a amener",
    )),
    "assistance_request": (2, (
        "aide", "aider", "aidez", "besoin", "soutien", "assistance", "appui", "pas de quoi manger",
        "nourriture", "manger", "inscri*", "help", "need", "needs", "support", "assist", "food", "register",
        "il nous faut", "il me faut", "malade", "ordonnance",
    )),
    "positive_feedback": (3, (
        "merci", "remerci*", "bravo", "felicit*", "content", "contente", "satisfait*", "bon travail",
        "tres bien", "apprecie", "grace a vous", "thank*", "grateful", "appreciat*", "good job", "great",
        "accueillant*", "respectueu*", "bien passe", "polite",
        "well done", "happy", "helped me a lot",
    )),
    "minor_dissatisfaction": (4, (
        "retard*", "en retard", "pas encore", "lent", "lente", "lenteur", "attend*", "file d attente",
        "trop long", "mal organis*", "late", "delay*", "not yet", "slow", "waiting", "queue", "too long",
        "trop petit*", "trop chaud", "trop loin", "too far", "manque*", "missing", "incomplet*", "abime*",
        "damaged", "desorganis*", "trop tot", "de plus que prevu", "longer than",
        "still waiting",
    )),
    "major_dissatisfaction": (5, (
        "plainte", "plaindre", "complain*", "pas recu", "jamais recu", "rien recu", "toujours rien",
        "inacceptable", "injust*", "mecontent*", "pas content", "scandal*", "promesse*", "promis", "oubli*",
        "exclu*", "abandonn*", "never received", "not received", "nothing", "unacceptable", "unfair",
        "gachis", "useless", "inutile", "refus*", "pas d accord", "not consulted", "consulte*",
        "se moque* de nous", "sans raison", "without reason", "cancelled", "annule*",
        "promise*", "promised", "forgotten", "excluded", "abandoned", "angry",
    )),
    "out_of_scope": (11, (
        "hcr", "unhcr", "croix rouge", "red cross", "visa", "ambassade", "embassy", "election*", "politique",
        "bourse", "scholarship", "lottery", "loterie",
        "mairie", "commune", "forage", "gouvernement", "government", "terrain",
    )),
}

SUB_CATEGORY_RULES: dict[str, tuple[str, ...]] = {
    "cash": ("cash", "argent", "paiement*", "payment*", "transfert", "orange money", "mobile money",
             "allocation", "especes", "montant", "francs", "gnf", "fcfa", "cfa", "naira", "dalasi", "money"),
    "business_support": ("commerce", "business", "boutique", "shop", "projet", "micro", "entreprise", "agr",
                         "equipement", "materiel", "kit de demarrage", "start up kit", "starter kit",
                         "elevage", "poulailler", "moto", "marchandise*", "stock", "cantine"),
    "psychosocial": ("psycho*", "stress*", "traumat*", "cauchemar*", "depress*", "counsel*", "soutien moral",
                     "mental", "dormir la nuit", "nightmare*", "anxi*"),
    "medical": ("medic*", "sante", "health", "hopital", "hospital", "malad*", "sick", "soin*", "treatment",
                "traitement", "ordonnance", "clinic*", "pharmac*", "operation", "blesse*", "injur*"),
    "housing": ("logement", "loyer", "maison", "housing", "rent", "shelter", "abri", "hebergement", "chambre",
                "landlord", "bailleur", "proprietaire", "expuls*", "evict*", "toit"),
    "documents": ("document*", "papiers", "carte d identite", "identite", "passeport", "passport",
                  "acte de naissance", "birth certificate", "id card", "laissez passer", "attestation",
                  "certificat*", "certificate"),
    "training": ("formation*", "training", "apprentissage", "atelier", "cours", "couture", "soudure", "stage",
                 "course", "workshop", "apprenti*", "tailoring", "welding", "mecanique", "coiffure"),
}


def normalise(text: str) -> str:
    """Lower case, accents removed, punctuation as spaces, one space between words, a space at each end.
    A question mark becomes the word `qmark`, a hint of a request for information."""
    decomposed = unicodedata.normalize("NFKD", text.lower().replace("?", " qmark "))
    folded = "".join(char for char in decomposed if not unicodedata.combining(char))
    return " " + " ".join(re.sub(r"[^a-z0-9]+", " ", folded).split()) + " "


@lru_cache(maxsize=4096)
def _pattern(phrase: str) -> re.Pattern:
    words = normalise(phrase.replace("*", " STAR ")).split()
    parts = []
    for word in words:
        if word == "star":
            parts[-1] += r"[a-z0-9]*"
        else:
            parts.append(re.escape(word))
    return re.compile(r"(?<![a-z0-9])" + r" ".join(parts) + r"(?![a-z0-9])")


def _matches(text: str, phrases) -> list[str]:
    return [phrase for phrase in phrases if _pattern(phrase).search(text)]


def _first_position(text: str, phrases: list[str]) -> int:
    return min((_pattern(phrase).search(text).start() for phrase in phrases), default=len(text))


@dataclass(frozen=True)
class Suggestion:
    """What the rules make of a narrative, before a person confirms it."""

    category_code: int | None
    sub_category: str | None
    confidence: float
    sensitive: bool
    reasons: tuple[str, ...]  # "rule: phrase" for every phrase that matched

    @property
    def sensitive_rules(self) -> tuple[str, ...]:
        names = []
        for reason in self.reasons:
            rule = reason.split(":", 1)[0]
            if (rule in SENSITIVE_RULES or rule in (UNPLACED, AGENT)) and rule not in names:
                names.append(rule)
        return tuple(names)

    @property
    def emergency(self) -> bool:
        return "threat_to_life" in self.sensitive_rules


def _with_extra(rules: Mapping[str, tuple[int, tuple[str, ...]]],
                extra: Mapping[str, list[str]]) -> dict[str, tuple[int, tuple[str, ...]]]:
    return {name: (code, phrases + tuple(extra.get(name, ()))) for name, (code, phrases) in rules.items()}


def suggest(narrative: str, extra_phrases: Mapping[str, list[str]] | None = None) -> Suggestion:
    """Suggest a category, sub-category and sensitivity; `extra_phrases` adds a country's phrases
    (for example in national languages) to rules by name."""
    extra = extra_phrases or {}
    text = normalise(narrative)
    reasons: list[str] = []

    sensitive_hits = {name: _matches(text, phrases)
                      for name, (_, phrases) in _with_extra(SENSITIVE_RULES, extra).items()}
    for name, (first_cues, second_cues) in COMBINED_RULES.items():
        first, second = _matches(text, first_cues), _matches(text, second_cues)
        if first and second:
            sensitive_hits[name] = sensitive_hits[name] + [f"{first[0]} + {second[0]}"]
    for name, hits in sensitive_hits.items():
        reasons += [f"{name}: {phrase}" for phrase in hits]
    ordinary_hits = {name: _matches(text, phrases)
                     for name, (_, phrases) in _with_extra(ORDINARY_RULES, extra).items()}
    for name, hits in ordinary_hits.items():
        reasons += [f"{name}: {phrase}" for phrase in hits]

    sub_hits = {name: len(_matches(text, phrases + tuple(extra.get(name, ()))))
                for name, phrases in SUB_CATEGORY_RULES.items()}
    best_sub = max(sub_hits, key=lambda name: sub_hits[name])
    sub_category = best_sub if sub_hits[best_sub] else None

    first_sensitive = next((name for name, hits in sensitive_hits.items() if hits), None)
    if first_sensitive:
        matched = sum(len(hits) for hits in sensitive_hits.values())
        return Suggestion(category_code=SENSITIVE_RULES[first_sensitive][0], sub_category=sub_category,
                          confidence=round(min(0.5 + 0.15 * matched, 0.95), 2), sensitive=True,
                          reasons=tuple(reasons))

    scores = {name: len(hits) for name, hits in ordinary_hits.items()}
    # Most matching phrases wins; on a tie, what the person said first (people lead with their purpose).
    best = max(scores, key=lambda name: (scores[name], -_first_position(text, ordinary_hits[name])))
    if not scores[best]:
        # Nothing recognised the message: it may be sensitive in words no rule knows yet.
        # Holding it for a focal point is the safe side (see the module docstring).
        return Suggestion(None, sub_category, 0.0, True, tuple(reasons) + (f"{UNPLACED}: no rule matched",))
    runner_up = max(score for name, score in scores.items() if name != best)
    confidence = min(0.3 + 0.15 * scores[best] - 0.1 * runner_up, 0.9)
    return Suggestion(category_code=ORDINARY_RULES[best][0], sub_category=sub_category,
                      confidence=round(max(confidence, 0.1), 2), sensitive=False, reasons=tuple(reasons))


# --- the floor under the statistical model ------------------------------------------------------------------

@dataclass(frozen=True)
class Floor:
    """The sensitive rules a narrative's phrases match: the model cannot lower these."""

    rules: tuple[str, ...]
    reasons: tuple[str, ...]  # "rule: phrase", quoted from the narrative: never logged

    @property
    def threat_to_life(self) -> bool:
        return "threat_to_life" in self.rules


class _Node:
    """One word of a phrase trie: exact next words, next words by prefix (`menac*`), phrases ending here."""

    __slots__ = ("exact", "prefix", "ends")

    def __init__(self):
        self.exact: dict[str, _Node] = {}
        self.prefix: dict[str, _Node] = {}
        self.ends: list[tuple[str, str]] = []


@lru_cache(maxsize=256)
def _trie(phrases: tuple[tuple[str, str], ...]) -> _Node:
    """(rule, phrase) pairs as a trie of words: the text is read once, whatever the number of phrases
    (a regular expression per phrase made the rules a tenth of the service's CPU)."""
    root = _Node()
    for rule, phrase in phrases:
        words: list[list] = []
        for word in normalise(phrase.replace("*", " STAR ")).split():
            if word == "star":
                words[-1][1] = True
            else:
                words.append([word, False])
        node = root
        for word, is_prefix in words:
            node = (node.prefix if is_prefix else node.exact).setdefault(word, _Node())
        node.ends.append((rule, phrase))
    return root


def _scan(text: str, root: _Node) -> list[tuple[str, str]]:
    """Every (rule, phrase) whose words occur in a row in the normalised text."""
    words = text.split()
    hits: list[tuple[str, str]] = []
    for start in range(len(words)):
        frontier = [root]
        for word in words[start:]:
            following = []
            for node in frontier:
                child = node.exact.get(word)
                if child is not None:
                    following.append(child)
                if node.prefix:
                    following += [node.prefix[word[:k]] for k in range(1, len(word) + 1) if word[:k] in node.prefix]
            for node in following:
                hits += node.ends
            if not following:
                break
            frontier = following
    return hits


@lru_cache(maxsize=64)
def _sensitive_trie(extra: tuple[tuple[str, tuple[str, ...]], ...]) -> _Node:
    """The trie of every sensitive rule with a country's extra phrases, built once per set of phrases."""
    more = dict(extra)
    return _trie(tuple((name, phrase) for name, (_, phrases) in SENSITIVE_RULES.items()
                       for phrase in phrases + more.get(name, ())))


def floor(narrative: str, extra_phrases: Mapping[str, list[str]] | None = None) -> Floor:
    """Which sensitive rules the narrative's phrases match (no `unplaced` fallback: the model places
    what the rules do not know)."""
    extra = extra_phrases or {}
    text = normalise(narrative)
    hits = _scan(text, _sensitive_trie(tuple(sorted((name, tuple(phrases)) for name, phrases in extra.items()))))
    reasons = list(dict.fromkeys(f"{rule}: {phrase}" for rule, phrase in hits))
    rules = [name for name in SENSITIVE_RULES if any(rule == name for rule, _ in hits)]
    for name, (first_cues, second_cues) in COMBINED_RULES.items():
        first = _scan(text, _trie(tuple(("first", cue) for cue in first_cues)))
        second = _scan(text, _trie(tuple(("second", cue) for cue in second_cues)))
        if first and second:
            if name not in rules:
                rules.append(name)
            reasons.append(f"{name}: {first[0][1]} + {second[0][1]}")
    return Floor(tuple(rules), tuple(reasons))
