"""The partner directory's routing rule: which partner of the country a referral goes to. The category
decides who may receive it; among those, a partner working in the case's area comes first, then one
working country-wide, each preferring one that speaks the person's language. With nothing known of the
case but its category, this is the category routing it always was (the first partner of the category)."""
from services.referrals.domain import THREAT_TO_LIFE


def _covers(partner, area: str | None) -> int:
    """2: works in the case's area; 1: works country-wide; 0: elsewhere (or the area is not known)."""
    if not partner.areas:
        return 1
    return 2 if area is not None and area.casefold() in {a.casefold() for a in partner.areas} else 0


def choose_partner(partners, category_code: int | None, emergency: bool = False, *, area: str | None = None,
                   language: str | None = None) -> str | None:
    """None leaves routing to a focal point. An emergency whose category has no partner (a hidden case may carry
    an ordinary category until a person confirms it) goes to a threat-to-life partner: it cannot wait."""
    for wanted in (category_code, THREAT_TO_LIFE) if emergency else (category_code,):
        receiving = [partner for partner in partners if wanted in partner.categories]
        if not receiving:
            continue
        ranked = sorted(receiving, key=lambda partner: (-_covers(partner, area),
                                                        not (language and language in partner.languages)))
        return ranked[0].id  # sorted() is stable: ties keep the directory's order
    return None
