"""Places as the country's gazetteer names them: what a person or a form typed as a region,
prefecture or cercle, commune or village becomes a gazetteer name, or `other`.

Only gazetteer names leave intake: a name and phone number typed as a village, or a formula typed
as a region, is `other` on the bus, in the search index and in every report. The text as typed
stays with the feedback in intake. Pure: no I/O; the gazetteer comes from the settings.
"""
import re
import unicodedata
from dataclasses import dataclass

from contracts.common import Location

OTHER = "other"
# Words people add around a place's name ("Préfecture de Kindia", "cercle de Kita", "village: Mambia").
_FILLERS = frozenset("region prefecture cercle commune sous village quartier district camp de du des d la le l".split())


@dataclass(frozen=True)
class Place:
    code: str
    name: str
    level: str  # adm1, adm2 or site
    parent: str | None


class Gazetteer:
    """One country's places: admin level 1 (regions), admin level 2 (prefectures, cercles, Conakry's
    and Bamako's communes) and sites (sub-prefectures, communes, villages, camps), each with its
    p-code, its parent's p-code and the spellings people use."""

    def __init__(self, places):
        self.places: dict[str, Place] = {}
        self._by_spelling: dict[tuple[str, str], list[Place]] = {}
        for entry in places:
            place = Place(code=entry.code, name=entry.name, level=entry.level, parent=entry.parent)
            self.places[place.code] = place
            for key in {(place.level, spelling_key(spelling)) for spelling in (entry.name, *entry.spellings)}:
                self._by_spelling.setdefault(key, []).append(place)

    def find(self, typed: str | None, level: str, within: Place | None = None) -> Place | None:
        """The one place of `level` spelt `typed` (inside `within` when given), or None."""
        if not typed:
            return None
        found = [place for place in self._by_spelling.get((level, spelling_key(typed)), [])
                 if within is None or self._inside(place, within)]
        return found[0] if len(found) == 1 else None

    def parent(self, place: Place | None) -> Place | None:
        return self.places.get(place.parent) if place and place.parent else None

    def _inside(self, place: Place, area: Place) -> bool:
        while place is not None:
            if place.code == area.code:
                return True
            place = self.parent(place)
        return False

    def locate(self, typed: Location | None) -> Location | None:
        """`typed` in gazetteer names: each level given becomes its name, or `other` when the
        gazetteer has no such place there; a level not given or not found is filled from a place
        found below it."""
        if typed is None:
            return None
        adm1 = self.find(typed.adm1, "adm1")
        adm2 = self.find(typed.adm2, "adm2", within=adm1)
        area = adm2 or adm1
        adm3 = self.find(typed.adm3, "site", within=area)
        place = (adm3 and self.find(typed.place, "site", within=adm3)) or self.find(typed.place, "site", within=area)
        site = place or adm3
        if adm2 is None:
            adm2 = next((p for p in self._ancestors(site) if p.level == "adm2"), None)
        if adm1 is None:
            adm1 = next((p for p in self._ancestors(adm2 or site) if p.level == "adm1"), None)
        return Location(adm1=_name(adm1, typed.adm1), adm2=_name(adm2, typed.adm2),
                        adm3=_name(adm3, typed.adm3), place=_name(place, typed.place))

    def _ancestors(self, place: Place | None):
        place = self.parent(place)
        while place is not None:
            yield place
            place = self.parent(place)


def _name(found: Place | None, typed: str | None) -> str | None:
    if found is not None:
        return found.name
    return OTHER if typed else None


def spelling_key(text: str) -> str:
    """What two spellings of one place share: no accents, case, punctuation, spaces or filler words
    (N'Zérékoré, Nzerekore and "préfecture de Nzérékoré" are one)."""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().casefold()
    words = re.split(r"[^a-z0-9]+", folded)
    kept = [word for word in words if word and word not in _FILLERS]
    return "".join(kept or words)
